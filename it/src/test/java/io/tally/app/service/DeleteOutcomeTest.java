package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.common.config.TallyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.client.codec.StringCodec;

import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A {@code DELETE /v1/counters/{name}} or {@code DELETE /v1/triggers/{id}} that Redis holds (a write pause, a slow or
 * stopped Redis) past {@code redis-timeout-ms}: the command stays queued on its connection and runs once Redis goes
 * on, so the counter may be deleted, the trigger canceled. A 503 would say "nothing was written"; the answer is a 504
 * (outcome unknown) that says a retry is safe, and the retry then answers the state the held delete left.
 */
class DeleteOutcomeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onOwnRedisServer(1)
            .with(TallyConfig.REDIS_TIMEOUT_MS, 500).with(TallyConfig.SEND_TIMEOUT_MS, 2000L);

    @Test
    void aCounterDeleteHeldPastTheRedisTimeout_is504SayingARetryIsSafe_andTheRetryFindsItGone() throws Exception {
        api.redis().getMap(api.keys().counters(0), StringCodec.INSTANCE).put("held", "7");
        HttpResponse<String> r = whileWritesPaused(() -> api.send("DELETE", "/v1/counters/held", null));

        JsonNode problem = outcomeUnknown(r);
        assertThat(problem.get("detail").asText()).isEqualTo("counter 'held' may or may not have been deleted: Redis "
                + "did not answer within redis-timeout-ms, and may still run the delete; deleting it again is safe (a "
                + "delete is idempotent)");
        // the held delete runs once the pause ends: "nothing was written" would have been false
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                api.redis().getMap(api.keys().counters(0), StringCodec.INSTANCE).containsKey("held")).isFalse());
        HttpResponse<String> retry = api.send("DELETE", "/v1/counters/held", null);
        assertThat(retry.statusCode()).as(retry.body()).isEqualTo(404);
        assertThat(api.get("/v1/counters/held").statusCode()).isEqualTo(404);
    }

    @Test
    void aTriggerCancelHeldPastTheRedisTimeout_is504NamingTheTrigger_andTheRetryAnswersItCanceled() throws Exception {
        // a first cancel loads the script, so that the held one runs rather than meeting NOSCRIPT
        assertThat(api.send("DELETE", "/v1/triggers/" + createTrigger(), null).statusCode()).isEqualTo(200);
        String id = createTrigger();
        HttpResponse<String> r = whileWritesPaused(() -> api.send("DELETE", "/v1/triggers/" + id, null));

        JsonNode problem = outcomeUnknown(r);
        assertThat(problem.get("detail").asText()).isEqualTo("trigger " + id + " may or may not have been canceled: "
                + "Redis did not answer within redis-timeout-ms, and may still run the cancel; canceling it again is "
                + "safe (a cancel is idempotent) and returns the trigger with its status");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                JSON.readTree(api.get("/v1/triggers/" + id).body()).get("status").asText()).isEqualTo("canceled"));
        HttpResponse<String> retry = api.send("DELETE", "/v1/triggers/" + id, null);
        assertThat(retry.statusCode()).as(retry.body()).isEqualTo(200);
        assertThat(JSON.readTree(retry.body()).get("status").asText()).isEqualTo("canceled");
    }

    private static String createTrigger() throws Exception {
        HttpResponse<String> created = api.post("/v1/triggers", "{\"kind\":\"time\",\"at\":1893456000000}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return JSON.readTree(created.body()).get("id").asText();
    }

    /** The answer to a request sent while Redis holds every write command (CLIENT PAUSE ... WRITE). */
    private static HttpResponse<String> whileWritesPaused(Request request) throws Exception {
        api.redisServer().cli("CLIENT", "PAUSE", "10000", "WRITE");
        try {
            return request.send();
        } finally {
            api.redisServer().cli("CLIENT", "UNPAUSE");
        }
    }

    /** A 504 problem+json titled "Outcome unknown", without Retry-After or anything of Redisson's; its body. */
    private static JsonNode outcomeUnknown(HttpResponse<String> r) throws Exception {
        JsonNode problem = RedisFaultsTest.assertCleanProblem(r, 504);
        assertThat(problem.get("title").asText()).isEqualTo("Outcome unknown");
        assertThat(r.headers().firstValue("Retry-After")).isEmpty();
        return problem;
    }

    @FunctionalInterface
    private interface Request {
        HttpResponse<String> send() throws Exception;
    }
}
