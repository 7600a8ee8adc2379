package io.tally.it.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.common.config.TallyConfig;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.RedisProcessor;
import io.tally.producer.ProducerMetrics;
import io.tally.app.service.ApiServer;
import io.tally.app.service.ApiTokens;
import io.tally.app.service.ServiceMetrics;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Drives {@code /v1/triggers} of the real service over HTTP against a real Redis, with a processor
 * in-process so that firings happen (it lives in the processor module for that reason).
 */
@ExtendWith(RealRedisExtension.class)
class TriggerRoutesTest {
    private static final String TOKEN = "trigger-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static RedissonClient redis;
    private static Processor processor;
    private static ApiServer server;

    @BeforeAll
    static void start(TestRedis testRedis) {
        redis = testRedis.client();
        TallyConfig config = testRedis.config(4).set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1")
                .set(TallyConfig.API_TOKENS, TOKEN).set(TallyConfig.PROCESSOR_ID, "trigger-routes").build();
        server = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP, ServiceMetrics.newRegistry());
        processor = RedisProcessor.start(redis, config, ProcessorListener.NOOP);
        await().atMost(Duration.ofSeconds(30)).until(() -> processor.ownedPartitions().size() == 4);
    }

    @AfterAll
    static void stop() {
        processor.close();
        server.close();
        redis.shutdown();
    }

    @Test
    void create_is201WithIdAndLocation_andGetReturnsTheSameTrigger() throws Exception {
        HttpResponse<String> created = post("/v1/triggers",
                "{\"kind\":\"threshold\",\"counter\":\"routes.t1\",\"op\":\">=\",\"value\":10,\"params\":{\"team\":\"a\"}}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode t = JSON.readTree(created.body());
        String id = t.get("id").asText();
        assertThat(id).matches("t[0-3]-[0-9A-Z]{26}");
        assertThat(created.headers().firstValue("Location")).hasValue("/v1/triggers/" + id);
        assertThat(t.get("kind").asText()).isEqualTo("threshold");
        assertThat(t.get("status").asText()).isEqualTo("active");
        assertThat(t.get("value").asLong()).isEqualTo(10);
        assertThat(t.get("params").get("team").asText()).isEqualTo("a");
        assertThat(t.get("createdAt").asLong()).isPositive();

        HttpResponse<String> got = get("/v1/triggers/" + id);
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(got.body())).isEqualTo(t);
    }

    @Test
    void timeTrigger_acceptsIsoAt_andRepeatingModeFollowsEvery() throws Exception {
        HttpResponse<String> r = post("/v1/triggers", "{\"kind\":\"time\",\"at\":\"2099-01-01T00:00:00Z\",\"every\":60000}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        JsonNode t = JSON.readTree(r.body());
        assertThat(t.get("at").asLong()).isEqualTo(Instant.parse("2099-01-01T00:00:00Z").toEpochMilli());
        assertThat(t.get("mode").asText()).isEqualTo("every");
        assertThat(t.get("every").asLong()).isEqualTo(60000);
    }

    @Test
    void invalidDefinitions_are400NamingTheField_andWriteNothing() throws Exception {
        int before = list("").size();
        assertProblem(post("/v1/triggers", "{}"), 400, "kind");
        assertProblem(post("/v1/triggers", "{\"kind\":\"bogus\"}"), 400, "kind");
        assertProblem(post("/v1/triggers", "{\"kind\":\"event\"}"), 400, "eventType");
        assertProblem(post("/v1/triggers", "{\"kind\":\"event\",\"eventType\":\"c\",\"match\":{\"k\":1}}"), 400, "match.k");
        assertProblem(post("/v1/triggers", "{\"kind\":\"event\",\"eventType\":\"c\",\"counter\":\"x\"}"), 400, "counter");
        assertProblem(post("/v1/triggers", "{\"kind\":\"threshold\",\"counter\":\"c\",\"op\":\">\",\"value\":1}"), 400, "op");
        assertProblem(post("/v1/triggers", "{\"kind\":\"threshold\",\"counter\":\"c\",\"op\":\">=\"}"), 400, "value");
        assertProblem(post("/v1/triggers", "{\"kind\":\"threshold\",\"counter\":\"c\",\"op\":\">=\",\"value\":1.5}"), 400, "value");
        assertProblem(post("/v1/triggers", "{\"kind\":\"threshold\",\"counter\":\"c\",\"op\":\">=\",\"value\":9007199254740993}"), 400, "value");
        assertProblem(post("/v1/triggers", "{\"kind\":\"time\",\"at\":\"tomorrow\"}"), 400, "at");
        assertProblem(post("/v1/triggers", "{\"kind\":\"time\",\"at\":1000}"), 400, "at");
        assertProblem(post("/v1/triggers", "{\"kind\":\"time\",\"at\":\"2099-01-01T00:00:00Z\",\"every\":5}"), 400, "every");
        assertProblem(post("/v1/triggers", "{\"kind\":\"time\",\"at\":\"2099-01-01T00:00:00Z\",\"mode\":\"every\"}"), 400, "mode");
        assertProblem(post("/v1/triggers", "{\"kind\":\"event\",\"eventType\":\"c\",\"id\":\"t0-x\"}"), 400, "id");
        assertProblem(post("/v1/triggers", "{\"kind\":\"event\",\"eventType\":\"c\",\"colour\":\"red\"}"), 400, "colour");
        assertProblem(post("/v1/triggers", "{\"kind\":\"event\",\"eventType\":\"c\",\"params\":[1]}"), 400, "params");
        assertProblem(post("/v1/triggers", "{\"kind\":\"event\",\"eventType\":5}"), 400, "eventType");
        assertThat(list("")).as("nothing was written by invalid definitions").hasSize(before);
    }

    @Test
    void malformedJsonOrNotAnObject_is400() throws Exception {
        HttpResponse<String> r = post("/v1/triggers", "{\"kind\":");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("not valid JSON");
        assertThat(post("/v1/triggers", "[]").body()).contains("must be a JSON object");
    }

    @Test
    void bodyTooLarge_is413() throws Exception {
        String big = "{\"kind\":\"event\",\"eventType\":\"c\",\"params\":{\"x\":\"" + "a".repeat(70_000) + "\"}}";
        HttpResponse<String> r = post("/v1/triggers", big);
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
    }

    @Test
    void unknownId_is404_andMalformedId_is400NamingId() throws Exception {
        String unknown = "t0-01ARZ3NDEKTSV4RRFFQ69G5FAV";
        HttpResponse<String> missing = get("/v1/triggers/" + unknown);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("does not exist").contains(unknown);
        assertThat(delete("/v1/triggers/" + unknown).statusCode()).isEqualTo(404);
        assertProblem(get("/v1/triggers/nope"), 400, "id");
        assertProblem(delete("/v1/triggers/nope"), 400, "id");
        assertProblem(get("/v1/triggers/t99-01ARZ3NDEKTSV4RRFFQ69G5FAV"), 400, "id");
    }

    @Test
    void missingToken_is401() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri("/v1/triggers")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
    }

    @Test
    void list_filtersByStatusAndKind_andBadFiltersAre400() throws Exception {
        String event = id(post("/v1/triggers", "{\"kind\":\"event\",\"eventType\":\"routes.list\"}"));
        String threshold = id(post("/v1/triggers", "{\"kind\":\"threshold\",\"counter\":\"routes.list\",\"op\":\"<=\",\"value\":-5}"));
        HttpResponse<String> canceled = delete("/v1/triggers/" + threshold);
        assertThat(canceled.statusCode()).isEqualTo(200);

        assertThat(list("?kind=event")).contains(event).doesNotContain(threshold);
        assertThat(list("?status=canceled")).contains(threshold).doesNotContain(event);
        assertThat(list("?status=active&kind=threshold")).doesNotContain(threshold, event);
        assertThat(list("")).contains(event, threshold);
        assertProblem(get("/v1/triggers?status=done"), 400, "status");
        assertProblem(get("/v1/triggers?kind=cron"), 400, "kind");
    }

    @Test
    void cancel_returnsTheTriggerCanceled_andAgainLeavesItAsItIs() throws Exception {
        String id = id(post("/v1/triggers", "{\"kind\":\"event\",\"eventType\":\"routes.cancel\"}"));
        HttpResponse<String> first = delete("/v1/triggers/" + id);
        assertThat(first.statusCode()).isEqualTo(200);
        JsonNode t = JSON.readTree(first.body());
        assertThat(t.get("status").asText()).isEqualTo("canceled");
        assertThat(t.get("canceledAt").asLong()).isPositive();
        JsonNode again = JSON.readTree(delete("/v1/triggers/" + id).body());
        assertThat(again.get("canceledAt")).isEqualTo(t.get("canceledAt"));
        assertThat(JSON.readTree(get("/v1/triggers/" + id).body()).get("status").asText()).isEqualTo("canceled");
    }

    @Test
    void onceEventTrigger_firesOnAMatchingEvent_showsInFirings_andBecomesFired() throws Exception {
        String id = id(post("/v1/triggers", "{\"kind\":\"event\",\"eventType\":\"routes.click\",\"match\":{\"button\":\"buy\"},"
                + "\"params\":{\"campaign\":\"spring\"}}"));
        assertThat(post("/v1/events", "{\"type\":\"routes.click\",\"params\":{\"button\":\"help\"}}").statusCode()).isEqualTo(202);
        assertThat(post("/v1/events", "{\"type\":\"routes.click\",\"params\":{\"button\":\"buy\",\"n\":1}}").statusCode()).isEqualTo(202);
        assertThat(post("/v1/events", "{\"type\":\"routes.click\",\"params\":{\"button\":\"buy\",\"n\":2}}").statusCode()).isEqualTo(202);

        await().atMost(Duration.ofSeconds(20)).until(() -> firingsOf(id).size() == 1);
        JsonNode firing = firingsOf(id).get(0).get("fields");
        assertThat(firing.get("kind").asText()).isEqualTo("event");
        assertThat(firing.get("p.campaign").asText()).isEqualTo("spring");
        assertThat(firing.get("firing_id").asText()).startsWith(id + ":");
        JsonNode t = JSON.readTree(get("/v1/triggers/" + id).body());
        assertThat(t.get("status").asText()).isEqualTo("fired");
        assertThat(t.get("fireCount").asLong()).isEqualTo(1);
        // once: the second matching event does not fire again
        Thread.sleep(300);
        assertThat(firingsOf(id)).hasSize(1);
    }

    private static List<JsonNode> firingsOf(String id) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode f : JSON.readTree(get("/v1/firings?limit=1000").body()).get("firings")) {
            if (id.equals(f.get("fields").get("trigger").asText())) {
                out.add(f);
            }
        }
        return out;
    }

    private static List<String> list(String query) throws Exception {
        HttpResponse<String> r = get("/v1/triggers" + query);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        JSON.readTree(r.body()).get("triggers").forEach(t -> ids.add(t.get("id").asText()));
        return ids;
    }

    private static String id(HttpResponse<String> created) throws Exception {
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return JSON.readTree(created.body()).get("id").asText();
    }

    private static void assertProblem(HttpResponse<String> r, int status, String field) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
        assertThat(JSON.readTree(r.body()).path("field").asText()).as(r.body()).isEqualTo(field);
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static HttpRequest.Builder authed(String path) {
        return HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + TOKEN);
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(authed(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(authed(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> delete(String path) throws Exception {
        return HTTP.send(authed(path).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }
}
