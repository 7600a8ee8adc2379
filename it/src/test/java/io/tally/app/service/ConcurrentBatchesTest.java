package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.common.config.TallyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Batches sent at once share half of the producer's buffer ({@link BatchLineRoom}): past it they wait for earlier
 * lines to settle instead of failing lines as backpressure, so every line of valid batches is written, however
 * many batches run together and however small the buffer.
 */
class ConcurrentBatchesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BUFFER = 2_000;
    private static final int BATCHES = 4;
    private static final int LINES = 20_000;

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(4).with(TallyConfig.PRODUCER_BUFFER, BUFFER);

    @Test
    void concurrentBatchesLargerThanTheProducersBuffer_writeEveryLine_noneFailsAsBackpressure() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(BATCHES);
        try {
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int b = 0; b < BATCHES; b++) {
                String body = lines("room-" + b);
                answers.add(CompletableFuture.supplyAsync(() -> post(body), clients));
            }
            for (CompletableFuture<HttpResponse<String>> answer : answers) {
                HttpResponse<String> r = answer.join();
                assertThat(r.statusCode()).as(r.body().substring(0, Math.min(400, r.body().length()))).isEqualTo(200);
                JsonNode summary = JSON.readTree(r.body());
                assertThat(summary.get("failed").asLong()).as(r.body().substring(0, Math.min(400, r.body().length()))).isZero();
                assertThat(summary.get("accepted").asLong()).isEqualTo(LINES);
                assertThat(summary.get("complete").asBoolean()).isTrue();
            }
        } finally {
            clients.shutdownNow();
        }
        for (int b = 0; b < BATCHES; b++) {
            assertThat(api.entriesOf("room-" + b)).isEqualTo(LINES);
        }
    }

    private static String lines(String counter) {
        return ("{\"op\":\"incr\",\"counter\":\"" + counter + "\",\"by\":1}\n").repeat(LINES);
    }

    private static HttpResponse<String> post(String body) {
        try {
            return api.post("/v1/batch", body, "application/x-ndjson");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
