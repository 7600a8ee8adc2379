package io.tally.app.service;

import io.tally.common.config.TallyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.client.codec.StringCodec;

import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@code POST /v1/triggers} whose create script Redis holds (a write pause, a slow or stopped Redis) past
 * {@code redis-timeout-ms}: the script stays queued on its connection and runs once Redis goes on, so the trigger
 * may be stored. A 503 says "nothing was written, retry" (docs/api.md): a client that retries then stores the
 * trigger twice (a new id each time, nothing deduplicates creates). Such a create must be answered as of unknown
 * outcome (504), or be known not to run.
 */
class TriggerCreateOutcomeTest {
    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onOwnRedisServer(1)
            .with(TallyConfig.REDIS_TIMEOUT_MS, 500).with(TallyConfig.SEND_TIMEOUT_MS, 2000L);

    @Test
    void aCreateHeldPastTheRedisTimeout_isNot503NothingWritten_whenItIsStoredAfterwards() throws Exception {
        // a first create loads the script, so that the held one runs rather than meeting NOSCRIPT
        HttpResponse<String> first = api.post("/v1/triggers", "{\"kind\":\"time\",\"at\":1893456000000}");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        assertThat(stored()).isEqualTo(1);
        HttpResponse<String> r;
        api.redisServer().cli("CLIENT", "PAUSE", "10000", "WRITE");
        try {
            r = api.post("/v1/triggers", "{\"kind\":\"time\",\"at\":1893456000000}");
        } finally {
            api.redisServer().cli("CLIENT", "UNPAUSE");
        }
        // the held script (and any retry of it) runs once the pause ends
        TimeUnit.MILLISECONDS.sleep(1000);
        long triggers = stored() - 1;
        if (r.statusCode() == 503 || r.statusCode() == 500) {
            assertThat(triggers).as("answered %s (%s), yet the trigger was stored after the pause",
                    r.statusCode(), r.body()).isZero();
        } else {
            assertThat(r.statusCode()).as(r.body()).isIn(201, 504);
        }
        if (r.statusCode() == 504) {
            // the detail names the id, and reading it tells whether the create ran
            java.util.regex.Matcher id = java.util.regex.Pattern.compile("GET /v1/triggers/(\\S+)\\)").matcher(r.body());
            assertThat(id.find()).as(r.body()).isTrue();
            assertThat(api.get("/v1/triggers/" + id.group(1)).statusCode()).isEqualTo(triggers == 1 ? 200 : 404);
        }
    }

    /** Triggers the namespace stores (its only partition's count, kept by the create script). */
    private static long stored() {
        String count = api.redis().<String, String>getMap(api.keys().triggers(0), StringCodec.INSTANCE).get(":count");
        return count == null ? 0 : Long.parseLong(count);
    }
}
