package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.common.config.TallyConfig;
import io.tally.producer.SendFailedException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.client.RedisTimeoutException;

import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A send whose reply Redis holds back past send-timeout-ms (Redis paused: the send sits in its socket and is
 * applied when Redis runs again) may have been written, and here it was. docs/api.md answers 503 only when
 * nothing was written, so such a send is answered 504 outcome unknown, with or without an operation id, alone
 * or as a line of a batch; with an id the answer says to send it again with the same id.
 */
class UnknownSendOutcomeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onOwnRedisServer(4)
            .with(TallyConfig.REDIS_TIMEOUT_MS, 500).with(TallyConfig.SEND_TIMEOUT_MS, 2000L);

    @AfterEach
    void resumeRedis() {
        api.redisServer().resume();
    }

    @Test
    void aSendWithIdThatMayHaveBeenWritten_is504OutcomeUnknown_sayingToSendItAgainWithTheSameId() throws Exception {
        awaitSendsServed("paused-id");
        HttpResponse<String> r = whilePaused(() -> api.post("/v1/counters/paused-id/incr",
                "{\"id\":\"paused-op-1\",\"by\":7}"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(api.entriesOf("paused-id")).as("the send was written").isEqualTo(2));
        JsonNode problem = RedisFaultsTest.assertCleanProblem(r, 504);
        assertThat(r.headers().firstValue("Retry-After")).isEmpty();
        assertThat(problem.get("title").asText()).isEqualTo("Outcome unknown");
        assertThat(problem.get("detail").asText()).contains("may or may not have been written")
                .contains("send it again with the same id").doesNotContain("nothing was written");

        HttpResponse<String> again = api.post("/v1/counters/paused-id/incr", "{\"id\":\"paused-op-1\",\"by\":7}");
        assertThat(again.statusCode()).as(again.body()).isEqualTo(202);
        assertThat(JSON.readTree(again.body()).get("duplicate").asBoolean()).as("following the advice writes nothing")
                .isTrue();
        assertThat(api.entriesOf("paused-id")).isEqualTo(2);
    }

    @Test
    void aPlainSendThatMayHaveBeenWritten_is504() throws Exception {
        awaitSendsServed("paused-plain");
        HttpResponse<String> r = whilePaused(() -> api.post("/v1/counters/paused-plain/incr", "{\"by\":7}"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(api.entriesOf("paused-plain")).as("the send was written").isEqualTo(2));
        RedisFaultsTest.assertCleanProblem(r, 504);
    }

    @Test
    void aBatchLineWithIdThatMayHaveBeenWritten_failsWith504_sayingToSendItAgainWithTheSameId() throws Exception {
        awaitSendsServed("paused-batch");
        HttpResponse<String> r = whilePaused(() -> api.post("/v1/batch",
                "{\"op\":\"incr\",\"counter\":\"paused-batch\",\"id\":\"paused-line-1\"}\n", "application/x-ndjson"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(api.entriesOf("paused-batch")).as("the line was written").isEqualTo(2));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode summary = JSON.readTree(r.body());
        assertThat(summary.get("failed").asLong()).isEqualTo(1);
        JsonNode error = summary.get("errors").get(0);
        assertThat(error.get("line").asInt()).isEqualTo(1);
        assertThat(error.get("status").asInt()).as(r.body()).isEqualTo(504);
        assertThat(error.get("detail").asText()).contains("send it again with the same id");
    }

    /** Decided by type: the cause of both is a Redis timeout, which alone would read as "Redis unavailable". */
    @Test
    void aFailedSendIs504OnlyWhenItMayHaveBeenWritten() {
        RedisTimeoutException timeout = new RedisTimeoutException("no reply within 500 ms");
        ApiProblem maybeWritten = Problems.of(new SendFailedException("send failed", true, true, timeout));
        assertThat(maybeWritten.status).isEqualTo(504);
        assertThat(maybeWritten.headers).doesNotContainKey("Retry-After");
        ApiProblem notWritten = Problems.of(new SendFailedException("send failed", true, false, timeout));
        assertThat(notWritten.status).isEqualTo(503);
        assertThat(notWritten.headers).containsKey("Retry-After");
    }

    private interface Call {
        HttpResponse<String> call() throws Exception;
    }

    private static HttpResponse<String> whilePaused(Call call) throws Exception {
        api.redisServer().pause();
        try {
            return call.call();
        } finally {
            api.redisServer().resume();
        }
    }

    /** Sends to the counter are answered 202 again (its partition's connection and session are up): one entry. */
    private static void awaitSendsServed(String counter) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            if (api.entriesOf(counter) == 0) {
                HttpResponse<String> r = api.post("/v1/counters/" + counter + "/incr", "{}");
                assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            }
            assertThat(api.entriesOf(counter)).isEqualTo(1);
        });
    }
}
