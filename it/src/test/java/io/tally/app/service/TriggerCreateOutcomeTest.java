package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.LuaScript;
import io.tally.testkit.ReplyCuttingProxy;
import io.tally.testkit.ReplyCuttingProxy.Cut;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.client.codec.StringCodec;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A {@code POST /v1/triggers} whose create script Redis holds (a write pause, a slow or stopped Redis) past
 * {@code redis-timeout-ms}: the script stays queued on its connection and runs once Redis goes on, so the trigger
 * may be stored. A 503 says "nothing was written, retry" (docs/api.md): a client that retries then stores the
 * trigger twice (a new id each time, nothing deduplicates creates). Such a create must be answered as of unknown
 * outcome (504), or be known not to run. So must one whose reply was lost on a broken connection, even when the
 * create's retries then cannot reach Redis: the first attempt may have stored the trigger.
 */
class TriggerCreateOutcomeTest {
    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onOwnRedisServer(1).throughProxy()
            .with(TallyConfig.REDIS_TIMEOUT_MS, 500).with(TallyConfig.SEND_TIMEOUT_MS, 2000L)
            .with(TallyConfig.MAX_TRIGGERS_PER_KEY, 1);

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
            Matcher id = Pattern.compile("GET /v1/triggers/(\\S+)\\)").matcher(r.body());
            assertThat(id.find()).as(r.body()).isTrue();
            assertThat(api.get("/v1/triggers/" + id.group(1)).statusCode()).isEqualTo(triggers == 1 ? 200 : 404);
        }
    }

    @Test
    void aCreateWhoseReplyIsLost_thenRedisUnreachable_is504NamingTheId_andTheTriggerIsThereOnceRedisIsBack()
            throws Exception {
        ReplyCuttingProxy proxy = api.proxy();
        LuaScript create = LuaScript.resource("trigger_create");
        create.load(api.redis()); // so that the attempt whose reply is cut runs the script
        int cuts = proxy.cuts();
        proxy.cutNext(create.sha(), 1, Cut.AFTER_REPLY);
        CompletableFuture<HttpResponse<String>> answer = CompletableFuture.supplyAsync(() -> {
            try {
                return api.post("/v1/triggers", "{\"kind\":\"time\",\"at\":1893456000000}");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        HttpResponse<String> r = proxy.refuseOnceCut(cuts, answer, Duration.ofSeconds(30));

        JsonNode problem = RedisFaultsTest.assertCleanProblem(r, 504);
        assertThat(problem.get("title").asText()).isEqualTo("Outcome unknown");
        Matcher id = Pattern.compile("trigger (\\S+) may or may not have been created: Redis did not answer the "
                + "create within redis-timeout-ms; read trigger \\1 \\(GET /v1/triggers/\\1\\) to know, before "
                + "creating it again").matcher(problem.get("detail").asText());
        assertThat(id.matches()).as(problem.get("detail").asText()).isTrue();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            HttpResponse<String> read = api.get("/v1/triggers/" + id.group(1));
            assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        });
    }

    @Test
    void aCreateWhoseReplyIsLost_thenARepeatRefusedByACap_is504NamingTheId_not422NothingWritten() throws Exception {
        String onEvent = "{\"kind\":\"event\",\"eventType\":\"capped\"}";
        HttpResponse<String> filler = api.post("/v1/triggers", onEvent); // max-triggers-per-key is 1 here
        assertThat(filler.statusCode()).as(filler.body()).isEqualTo(201);
        LuaScript create = LuaScript.resource("trigger_create");
        create.load(api.redis());
        int cuts = api.proxy().cuts();
        // the first attempt's connection breaks once it is written: the service cannot tell whether Redis got it
        // (here it did not, as if still held on its way), and the repeat meets the cap the filler holds
        api.proxy().cutNext(create.sha(), 1, Cut.BEFORE_REQUEST);
        HttpResponse<String> r = api.post("/v1/triggers", onEvent);

        assertThat(api.proxy().cuts()).isEqualTo(cuts + 1);
        JsonNode problem = RedisFaultsTest.assertCleanProblem(r, 504);
        assertThat(problem.get("title").asText()).isEqualTo("Outcome unknown");
        Matcher id = Pattern.compile("trigger (\\S+) may or may not have been created: Redis did not answer the "
                + "create within redis-timeout-ms, and a repeat with the same id was refused by max-triggers-per-key, "
                + "which does not settle whether the first attempt ran or still will; read trigger \\1 "
                + "\\(GET /v1/triggers/\\1\\) to know, before creating it again")
                .matcher(problem.get("detail").asText());
        assertThat(id.matches()).as(problem.get("detail").asText()).isTrue();
        assertThat(api.get("/v1/triggers/" + id.group(1)).statusCode()).isEqualTo(404);
    }

    @Test
    void aCreateWhileRedisIsUnreachable_is503NothingWritten() throws Exception {
        long before = stored();
        api.proxy().refuse();
        HttpResponse<String> r;
        try {
            r = api.post("/v1/triggers", "{\"kind\":\"time\",\"at\":1893456000000}");
        } finally {
            api.proxy().admit();
        }
        JsonNode problem = RedisFaultsTest.assertCleanProblem(r, 503);
        assertThat(problem.get("detail").asText()).isEqualTo("tally service: Redis is unreachable; retry after 1 s");
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .untilAsserted(() -> assertThat(stored()).isEqualTo(before));
    }

    /** Triggers the namespace stores (its only partition's count, kept by the create script). */
    private static long stored() {
        String count = api.redis().<String, String>getMap(api.keys().triggers(0), StringCodec.INSTANCE).get(":count");
        return count == null ? 0 : Long.parseLong(count);
    }
}
