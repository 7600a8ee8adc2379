package io.tally.it.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Partitioner;
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
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code GET /v1/counters/{name}/series}, {@code GET /v1/unique} and the unique estimate of
 * {@code GET /v1/counters/{name}} over HTTP, with entries sent through the service and applied by an
 * in-process processor against a real Redis.
 */
@ExtendWith(RealRedisExtension.class)
class SeriesRoutesTest {
    private static final String TOKEN = "series-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MIN = 60_000L;
    private static final long HOUR = 3_600_000L;

    private static RedissonClient redis;
    private static Processor processor;
    private static ApiServer server;
    /** An hour boundary two hours ago: well inside the 48 h retention of 1m buckets. */
    private static long base;

    @BeforeAll
    static void start(TestRedis testRedis) throws Exception {
        redis = testRedis.client();
        TallyConfig config = testRedis.config(4).set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1")
                .set(TallyConfig.API_TOKENS, TOKEN).set(TallyConfig.PROCESSOR_ID, "series-routes").build();
        server = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP, ServiceMetrics.newRegistry());
        processor = RedisProcessor.start(redis, config, ProcessorListener.NOOP);
        await().atMost(Duration.ofSeconds(30)).until(() -> processor.ownedPartitions().size() == 4);
        long now = System.currentTimeMillis();
        base = now - now % HOUR - 2 * HOUR;
        // pv: minute 0 gets 5 + 3, minute 2 gets 7, minute 4 gets -2; minutes 1, 3 and 5 have nothing.
        send("pv", "incr", "{\"by\":5,\"ts\":" + base + ",\"windows\":\"1m,1h\"}");
        send("pv", "incr", "{\"by\":3,\"ts\":" + (base + 59_999) + ",\"windows\":\"1m,1h\"}");
        send("pv", "incr", "{\"by\":7,\"ts\":" + (base + 2 * MIN + 30_000) + ",\"windows\":\"1m,1h\"}");
        send("pv", "decr", "{\"by\":2,\"ts\":" + (base + 4 * MIN) + ",\"windows\":\"1m,1h\"}");
        send("pv", "incr", "{\"by\":100,\"ts\":" + (base + HOUR) + ",\"windows\":\"1h\"}");
        // Not windowed: counts in the total only.
        awaitApplied("pv", send("pv", "incr", "{\"by\":1000}"));
    }

    @AfterAll
    static void stop() {
        processor.close();
        server.close();
        redis.shutdown();
    }

    @Test
    void minuteSeries_hasExactBucketValues_andZeroFilledGaps() throws Exception {
        JsonNode s = ok("/v1/counters/pv/series?window=1m&from=" + base + "&to=" + (base + 6 * MIN));
        assertThat(s.get("counter").asText()).isEqualTo("pv");
        assertThat(s.get("window").asText()).isEqualTo("1m");
        assertThat(s.get("from").asLong()).isEqualTo(base);
        assertThat(s.get("to").asLong()).isEqualTo(base + 6 * MIN);
        assertThat(starts(s)).containsExactly(base, base + MIN, base + 2 * MIN, base + 3 * MIN, base + 4 * MIN,
                base + 5 * MIN);
        assertThat(values(s)).containsExactly(8L, 0L, 7L, 0L, -2L, 0L);
        // The total is unaffected by windows.
        assertThat(ok("/v1/counters/pv").get("value").asLong()).isEqualTo(1113);
    }

    @Test
    void hourSeries_sumsEveryWindowedDelta_andIsoTimesGiveTheSameAnswer() throws Exception {
        String from = Instant.ofEpochMilli(base).toString();
        String to = Instant.ofEpochMilli(base + 3 * HOUR).toString();
        JsonNode s = ok("/v1/counters/pv/series?window=1h&from=" + from + "&to=" + to);
        assertThat(starts(s)).containsExactly(base, base + HOUR, base + 2 * HOUR);
        assertThat(values(s)).containsExactly(13L, 100L, 0L);
        assertThat(s.get("from").asLong()).isEqualTo(base);
        // An offset and a mid-bucket start: the first bucket is the one holding from.
        String offset = Instant.ofEpochMilli(base + 30 * MIN).atOffset(java.time.ZoneOffset.ofHours(2)).toString();
        JsonNode mid = ok("/v1/counters/pv/series?window=1h&from=" + enc(offset) + "&to=" + (base + 2 * HOUR));
        assertThat(mid.get("from").asLong()).isEqualTo(base + 30 * MIN);
        assertThat(starts(mid)).containsExactly(base, base + HOUR);
        assertThat(values(mid)).containsExactly(13L, 100L);
    }

    @Test
    void toIsExclusive_andAnEmptyRangeHasNoBuckets() throws Exception {
        assertThat(values(ok("/v1/counters/pv/series?window=1m&from=" + base + "&to=" + (base + MIN))))
                .containsExactly(8L);
        assertThat(values(ok("/v1/counters/pv/series?window=1m&from=" + base + "&to=" + (base + MIN + 1))))
                .containsExactly(8L, 0L);
        assertThat(ok("/v1/counters/pv/series?window=1m&from=" + base + "&to=" + base).get("buckets")).isEmpty();
    }

    @Test
    void defaults_areToNow_andFromSixtyWindowsEarlier() throws Exception {
        long before = System.currentTimeMillis();
        JsonNode s = ok("/v1/counters/pv/series?window=1m");
        long after = System.currentTimeMillis();
        long to = s.get("to").asLong();
        assertThat(to).isBetween(before, after);
        assertThat(s.get("from").asLong()).isEqualTo(to - 60 * MIN);
        assertThat(s.get("buckets")).hasSize(to % MIN == 0 ? 60 : 61);
        assertThat(starts(s).get(0)).isEqualTo((to - 60 * MIN) - (to - 60 * MIN) % MIN);
        assertThat(values(s)).allMatch(v -> v == 0L);
        JsonNode onlyFrom = ok("/v1/counters/pv/series?window=1h&from=" + base);
        assertThat(starts(onlyFrom).get(0)).isEqualTo(base);
        assertThat(values(onlyFrom).subList(0, 2)).containsExactly(13L, 100L);
    }

    @Test
    void aCounterWithoutSeries_isAllZeros() throws Exception {
        JsonNode s = ok("/v1/counters/never.written/series?window=1d&from=2030-01-01&to=2030-01-04");
        assertThat(starts(s)).containsExactly(Instant.parse("2030-01-01T00:00:00Z").toEpochMilli(),
                Instant.parse("2030-01-02T00:00:00Z").toEpochMilli(), Instant.parse("2030-01-03T00:00:00Z").toEpochMilli());
        assertThat(values(s)).containsExactly(0L, 0L, 0L);
    }

    @Test
    void badQueries_are400NamingTheParameter() throws Exception {
        String p = "/v1/counters/pv/series";
        assertThat(problem(get(p), "window").get("detail").asText()).contains("1m, 1h, 1d");
        assertThat(problem(get(p + "?window="), "window").get("detail").asText()).contains("required");
        assertThat(problem(get(p + "?window=5m"), "window").get("detail").asText())
                .contains("'5m'").contains("configured windows: 1m, 1h, 1d");
        assertThat(problem(get(p + "?window=1x"), "window").get("detail").asText()).contains("'1x'");
        assertThat(problem(get(p + "?window=1m&from=yesterday"), "from").get("detail").asText())
                .contains("'yesterday'").contains("ISO-8601");
        problem(get(p + "?window=1m&from=2030-13-01"), "from");
        assertThat(problem(get(p + "?window=1m&to=soon"), "to").get("detail").asText()).contains("'soon'");
        problem(get(p + "?window=1m&to=99999999999999999999"), "to");
        assertThat(problem(get(p + "?window=1m&from=-5&to=10"), "from").get("detail").asText()).contains("1970");
        assertThat(problem(get(p + "?window=1m&from=2000&to=1000"), "from").get("detail").asText()).contains("after");
    }

    @Test
    void tenThousandBucketsAreServed_oneMoreIs400() throws Exception {
        HttpResponse<String> max = get("/v1/counters/pv/series?window=1m&from=0&to=" + 10_000 * MIN);
        assertThat(max.statusCode()).as(max.body()).isEqualTo(200);
        JsonNode s = JSON.readTree(max.body());
        assertThat(s.get("buckets")).hasSize(10_000);
        assertThat(s.get("buckets").get(9_999).get("start").asLong()).isEqualTo(9_999 * MIN);
        assertThat(problem(get("/v1/counters/pv/series?window=1m&from=0&to=" + (10_000 * MIN + 1)), "from")
                .get("detail").asText()).contains("10001 buckets").contains("10000");
        problem(get("/v1/counters/pv/series?window=1m&from=0"), "from");
    }

    @Test
    void invalidCounterName_is400() throws Exception {
        problem(get("/v1/counters/" + enc("bad\u0001name") + "/series?window=1m"), "counter");
    }

    @Test
    void uniqueCounts_appearInTheCounterRead_andUnionsCountSharedMembersOnce() throws Exception {
        Partitioner partitioner = new Partitioner(4);
        String a = "uv.a";
        String b = "uv.b";
        for (int i = 0; partitioner.partitionOf(b) == partitioner.partitionOf(a); i++) {
            b = "uv.b" + i;
        }
        for (String m : List.of("alice", "bob", "carol", "alice")) {
            send(a, "unique", "{\"member\":\"" + m + "\"}");
        }
        send(b, "unique", "{\"member\":\"bob\"}");
        awaitApplied(b, send(b, "unique", "{\"member\":\"dave\"}"));
        String lastA = send(a, "incr", "{\"by\":4}");
        awaitApplied(a, lastA);

        JsonNode counterA = ok("/v1/counters/" + a);
        assertThat(counterA.get("value").asLong()).isEqualTo(4);
        assertThat(counterA.get("unique").asLong()).isEqualTo(3);
        // Only unique entries: the counter exists with value 0.
        JsonNode counterB = ok("/v1/counters/" + b);
        assertThat(counterB.get("value").asLong()).isZero();
        assertThat(counterB.get("unique").asLong()).isEqualTo(2);
        // No unique entries: no unique field.
        assertThat(ok("/v1/counters/pv").has("unique")).isFalse();
        assertThat(get("/v1/counters/uv.none").statusCode()).isEqualTo(404);

        JsonNode union = ok("/v1/unique?counters=" + a + "," + b);
        assertThat(union.get("unique").asLong()).isEqualTo(4);
        assertThat(union.get("counters")).extracting(JsonNode::asText).containsExactly(a, b);
        assertThat(ok("/v1/unique?counters=" + a + "&counters=" + b + ",uv.none").get("unique").asLong()).isEqualTo(4);
        assertThat(ok("/v1/unique?counters=" + a).get("unique").asLong()).isEqualTo(3);
        assertThat(ok("/v1/unique?counters=uv.none").get("unique").asLong()).isZero();
        problem(get("/v1/unique"), "counters");
        problem(get("/v1/unique?counters=,"), "counters");
        problem(get("/v1/unique?counters=" + enc("x\u0001")), "counters");
    }

    @Test
    void newEndpointsNeedTheToken() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri("/v1/counters/pv/series?window=1m")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
        HttpResponse<String> u = HTTP.send(HttpRequest.newBuilder(uri("/v1/unique?counters=a")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(u.statusCode()).isEqualTo(401);
    }

    private static List<Long> starts(JsonNode series) {
        List<Long> out = new ArrayList<>();
        series.get("buckets").forEach(b -> out.add(b.get("start").asLong()));
        return out;
    }

    private static List<Long> values(JsonNode series) {
        List<Long> out = new ArrayList<>();
        series.get("buckets").forEach(b -> out.add(b.get("value").asLong()));
        return out;
    }

    private static String send(String counter, String op, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(authed("/v1/counters/" + counter + "/" + op)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        return JSON.readTree(r.body()).get("entryId").asText();
    }

    private static void awaitApplied(String counter, String entryId) throws Exception {
        JsonNode r = JSON.readTree(get("/v1/counters/" + counter + "?after=" + entryId + "&waitMs=20000").body());
        assertThat(r.path("applied").asBoolean()).as(r.toString()).isTrue();
    }

    private static JsonNode ok(String path) throws Exception {
        HttpResponse<String> r = get(path);
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static JsonNode problem(HttpResponse<String> r, String field) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("field").asText()).as(r.body()).isEqualTo(field);
        return body;
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(authed(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static HttpRequest.Builder authed(String path) {
        return HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + TOKEN);
    }
}
