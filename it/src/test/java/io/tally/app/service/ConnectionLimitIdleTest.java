package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.common.config.TallyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * At {@code api-max-connections} the connections idle between requests are closed after a second. A batch waiting
 * for room in the producer's buffer (here while Redis is paused for 3 s) reads and writes nothing meanwhile, yet it
 * is a request in progress: it is answered, every line written, its connection never closed under it.
 */
class ConnectionLimitIdleTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The least api-max-connections takes: as many batches as connections, so the limit is reached. */
    private static final int LIMIT = 8;
    private static final int LINES = 20_000;

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onOwnRedisServer(1)
            .with(TallyConfig.API_MAX_CONNECTIONS, LIMIT)
            .with(TallyConfig.API_MAX_IN_FLIGHT_PER_TOKEN, 0)
            .with(TallyConfig.API_MAX_OPS_PER_SECOND_PER_TOKEN, 0)
            .with(TallyConfig.PRODUCER_BUFFER, 200);

    @Test
    void batchesWaitingForRoomAtTheConnectionLimit_areAnsweredWhole_notClosed() throws Exception {
        List<CompletableFuture<String>> answers = new ArrayList<>();
        for (int b = 0; b < LIMIT; b++) {
            String body = ("{\"op\":\"incr\",\"counter\":\"limit-" + b + "\",\"by\":1}\n").repeat(LINES);
            answers.add(CompletableFuture.supplyAsync(() -> batch(body)));
        }
        Thread.sleep(500);
        api.redisServer().pause();
        try {
            Thread.sleep(3_000);
        } finally {
            api.redisServer().resume();
        }
        for (CompletableFuture<String> answer : answers) {
            String reply = answer.join();
            assertThat(reply).as("an answer, not a closed connection").startsWith("HTTP/1.1 200");
            JsonNode summary = JSON.readTree(reply.substring(reply.indexOf("\r\n\r\n") + 4));
            assertThat(summary.get("accepted").asLong()).as(reply).isEqualTo(LINES);
            assertThat(summary.get("failed").asLong()).isZero();
        }
        for (int b = 0; b < LIMIT; b++) {
            assertThat(api.entriesOf("limit-" + b)).isEqualTo(LINES);
        }
    }

    /** Sends one batch on a connection of its own and returns what came back until the server closed it. */
    private static String batch(String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", api.port())) {
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ApiServerFixture.TOKEN
                    + "\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\nContent-Length: " + bytes.length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            return readAll(s.getInputStream());
        } catch (IOException e) {
            return "no answer: " + e;
        }
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                got.write(buf, 0, n);
            }
        } catch (IOException e) {
            if (got.size() == 0) {
                throw e;
            }
        }
        return got.toString(StandardCharsets.UTF_8);
    }
}
