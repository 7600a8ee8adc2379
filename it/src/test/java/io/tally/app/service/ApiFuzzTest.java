package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.common.config.TallyConfig;
import io.tally.producer.ProducerMetrics;
import io.tally.testkit.TestRedis;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.redisson.api.RedissonClient;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random and adversarial requests against the real service on a real Redis: huge bodies, deep JSON,
 * wrong types, unicode edge cases (escaped lone surrogates, RTL marks, emoji, NUL), and counter names with
 * {@code { } : * /} and arbitrary bytes, to every endpoint. Every request must end as a 2xx, or as a
 * problem+json 4xx, 503 or 504 whose body names no Java class, script SHA or stack frame; never a 500.
 * The service must keep serving (health stays 200). Redis out of memory and Redis down are
 * {@link RedisFaultsTest}'s cases.
 */
class ApiFuzzTest {
    private static final String TOKEN = "fuzz-token-0123456789";
    private static final int MAX_BODY = 4096;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> FIELDS = List.of("by", "value", "id", "ts", "type", "params", "kind", "mode",
            "eventType", "match", "counter", "op", "at", "every", "status");
    private static final List<String> EDGE_STRINGS = List.of("", "\\u0000", "a\\u0000b", "\\ud800", "\\udc00x",
            "\\ud83d", "\u202eabc\u202c", "\u05e9\u05dc\u05d5\u05dd", "\ud83d\ude00\ud83d\udc4d\ud83c\udffd", "{p0}", "*",
            "a:b:c", "x/y", "..", "%00", "\\\"", "\\\\", "\u200b", "\ufeff", "\uffff", ">=", "<=", "click", "event",
            "threshold", "time", "once", "every", "9223372036854775808", "-9223372036854775809", "2030-01-01T00:00:00Z");

    private static final List<String> QUERY_NAMES = List.of("after", "waitMs", "limit", "prefix", "window", "from",
            "to", "counters", "status", "kind");

    private static TestRedis testRedis;
    private static RedissonClient redis;
    private static ApiServer server;

    @BeforeContainer
    static void start() {
        testRedis = TestRedis.start();
        redis = testRedis.client();
        TallyConfig config = testRedis.config(4).set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1")
                .set(TallyConfig.API_TOKENS, TOKEN).set(TallyConfig.API_MAX_BODY_BYTES, MAX_BODY)
                .set(TallyConfig.API_MAX_BATCH_BYTES, 16 * MAX_BODY).build();
        server = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP, ServiceMetrics.newRegistry());
    }

    @AfterContainer
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (redis != null) {
            redis.shutdown();
        }
        if (testRedis != null) {
            testRedis.close();
        }
    }

    @AfterProperty
    void serviceKeepsServing() throws Exception {
        assertThat(send(HttpRequest.newBuilder(uri("/health/live")).GET()).statusCode()).isEqualTo(200);
        assertThat(send(HttpRequest.newBuilder(uri("/health/ready")).GET()).statusCode()).isEqualTo(200);
    }

    @Property(tries = 200)
    void randomJsonBodies_toEveryWriteEndpoint_areNever5xx(@ForAll("endpoints") String endpoint,
                                                           @ForAll("json") String body) throws Exception {
        assertClear(post(endpoint, body.getBytes(StandardCharsets.UTF_8), "application/json"), endpoint, body);
    }

    @Property(tries = 200)
    void randomObjectsWithKnownFields_areNever5xx(@ForAll("endpoints") String endpoint,
                                                  @ForAll("objectOfKnownFields") String body) throws Exception {
        assertClear(post(endpoint, body.getBytes(StandardCharsets.UTF_8), "application/json"), endpoint, body);
    }

    @Property(tries = 200)
    void randomBytes_areNever5xx(@ForAll("endpoints") String endpoint, @ForAll("bytes") byte[] body) throws Exception {
        assertClear(post(endpoint, body, "application/json"), endpoint, "<" + body.length + " random bytes>");
    }

    @Property(tries = 50)
    void deepNesting_is400_never5xx(@ForAll("endpoints") String endpoint, @ForAll @IntRange(min = 1, max = 20_000) int depth,
                                    @ForAll boolean arrays) throws Exception {
        String open = arrays ? "[" : "{\"params\":";
        String close = arrays ? "]" : "}";
        String body = open.repeat(depth) + "1" + close.repeat(depth);
        HttpResponse<String> r = post(endpoint, body.getBytes(StandardCharsets.UTF_8), "application/json");
        assertClear(r, endpoint, "depth " + depth);
        if (depth > 2 && endpoint.equals("/v1/batch") && r.statusCode() != 413) {
            // A batch within the size limit reports the line as failed; a larger one is refused whole.
            assertThat(r.body()).as("depth " + depth).contains("\"failed\":1");
        } else if (depth > 2) {
            assertThat(r.statusCode()).as(endpoint + " depth " + depth + ": " + r.body()).isBetween(400, 499);
        }
    }

    @Property(tries = 30)
    void hugeBodies_are413(@ForAll("endpoints") String endpoint, @ForAll @IntRange(min = 1, max = 300) int kib)
            throws Exception {
        int limit = endpoint.equals("/v1/batch") ? 16 * MAX_BODY : MAX_BODY;
        byte[] body = ("{\"type\":\"" + "x".repeat(kib * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> r = post(endpoint, body, "application/json");
        assertClear(r, endpoint, "<" + body.length + " bytes>");
        if (body.length > limit) {
            assertThat(r.statusCode()).as(endpoint + " " + body.length + " bytes: " + r.body()).isEqualTo(413);
        }
    }

    @Property(tries = 200)
    void counterNames_withSpecialCharacters_areAcceptedOrRejectedClearly(@ForAll("names") String name,
                                                                         @ForAll("ops") String op) throws Exception {
        String path = "/v1/counters/" + percentEncode(name.getBytes(StandardCharsets.UTF_8)) + op;
        HttpResponse<String> r = op.isEmpty() ? get(path) : post(path, "{}".getBytes(StandardCharsets.UTF_8), "application/json");
        assertClear(r, path, name);
    }

    @Property(tries = 200)
    void rawBytePaths_andTriggerIds_areNever5xx(@ForAll("bytes") byte[] name, @ForAll boolean trigger) throws Exception {
        String path = (trigger ? "/v1/triggers/" : "/v1/counters/") + percentEncode(name);
        assertClear(get(path), path, "<bytes>");
    }

    @Property(tries = 100)
    void queryParameters_withRandomValues_areNever5xx(@ForAll("queries") String query, @ForAll("names") String value)
            throws Exception {
        String path = query + percentEncode(value.getBytes(StandardCharsets.UTF_8));
        assertClear(get(path), path, value);
    }

    @Property(tries = 300)
    void everyEndpoint_withRandomSegmentsQueriesAndBodies_isNever5xx(@ForAll("routes") String route,
                                                                    @ForAll("names") String segment,
                                                                    @ForAll("queryNames") String queryName,
                                                                    @ForAll("names") String queryValue,
                                                                    @ForAll("json") String body) throws Exception {
        int space = route.indexOf(' ');
        String method = route.substring(0, space);
        String path = route.substring(space + 1).replace("{}", percentEncode(segment.getBytes(StandardCharsets.UTF_8)))
                + "?" + queryName + "=" + percentEncode(queryValue.getBytes(StandardCharsets.UTF_8));
        HttpRequest.BodyPublisher publisher = method.equals("GET") || method.equals("DELETE")
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json").method(method, publisher));
        assertClear(r, method + " " + path, body);
    }

    @Property(tries = 100)
    void trailingDataAndDuplicateKeys_are400(@ForAll("endpoints") String endpoint, @ForAll("json") String value,
                                             @ForAll boolean duplicate) throws Exception {
        String body = duplicate ? "{\"id\":" + value + ",\"id\":" + value + "}" : "{} " + value;
        HttpResponse<String> r = post(endpoint, body.getBytes(StandardCharsets.UTF_8), "application/json");
        assertClear(r, endpoint, body);
        if (endpoint.equals("/v1/batch")) {
            assertThat(r.body()).as(body).contains("\"failed\":1");
        } else {
            assertThat(r.statusCode()).as(body + " -> " + r.body()).isEqualTo(400);
        }
    }

    @Provide
    Arbitrary<String> queryNames() {
        return Arbitraries.of(QUERY_NAMES);
    }

    @Provide
    Arbitrary<String> routes() {
        return Arbitraries.of(server.endpoints()).map(e -> e.replaceAll("\\{[a-z]+\\}", "{}"));
    }

    @Provide
    Arbitrary<String> endpoints() {
        return Arbitraries.of("/v1/counters/fuzz/incr", "/v1/counters/fuzz/set", "/v1/counters/fuzz/reset",
                "/v1/events", "/v1/triggers", "/v1/batch");
    }

    @Provide
    Arbitrary<String> ops() {
        return Arbitraries.of("", "/incr", "/decr", "/set", "/reset");
    }

    @Provide
    Arbitrary<String> queries() {
        return Arbitraries.of("/v1/counters?limit=", "/v1/counters?prefix=", "/v1/counters/x?after=",
                "/v1/counters/x?waitMs=", "/v1/firings?limit=", "/v1/triggers?status=", "/v1/triggers?kind=");
    }

    @Provide
    Arbitrary<byte[]> bytes() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
    }

    @Provide
    Arbitrary<String> names() {
        Arbitrary<String> special = Arbitraries.strings().withChars("{}:*/\\%?#. \u202e\u0000\n\t")
                .withCharRange('a', 'c').ofMinLength(1).ofMaxLength(20);
        Arbitrary<String> unicode = Arbitraries.strings().all().ofMinLength(1).ofMaxLength(30);
        Arbitrary<String> long_ = Arbitraries.strings().withChars("x\u00e9\ud83d\ude00").ofMinLength(150).ofMaxLength(260);
        Arbitrary<String> edge = Arbitraries.of("{p0}", "*", "a:b", "a/b", "..", ".", "\ud83d\ude00", "\u202eevil",
                "\ud800", "x\u0000y", "%2F", "{", "}");
        return Arbitraries.oneOf(special, unicode, long_, edge);
    }

    @Provide
    Arbitrary<String> json() {
        return Arbitraries.recursive(this::jsonLeaf, inner -> Arbitraries.oneOf(
                inner.list().ofMaxSize(4).map(l -> "[" + String.join(",", l) + "]"),
                Combinators.combine(key(), inner).as((k, v) -> k + ":" + v).list().ofMaxSize(4)
                        .map(l -> "{" + String.join(",", l) + "}")), 0, 4);
    }

    @Provide
    Arbitrary<String> objectOfKnownFields() {
        Arbitrary<String> member = Combinators.combine(Arbitraries.of(FIELDS), Arbitraries.oneOf(jsonLeaf(), json()))
                .as((k, v) -> "\"" + k + "\":" + v);
        return member.list().ofMinSize(1).ofMaxSize(6).map(l -> "{" + String.join(",", l) + "}");
    }

    private Arbitrary<String> key() {
        return Arbitraries.oneOf(Arbitraries.of(FIELDS), Arbitraries.of(EDGE_STRINGS)).map(k -> "\"" + k + "\"");
    }

    private Arbitrary<String> jsonLeaf() {
        Arbitrary<String> numbers = Arbitraries.oneOf(
                Arbitraries.longs().map(String::valueOf),
                Arbitraries.of("1.5", "-0", "1e400", "-1e-400", "9223372036854775808", "-9223372036854775809",
                        "100000000000000000000000000000", "0.0", "9007199254740993", "1E3"));
        Arbitrary<String> strings = Arbitraries.oneOf(
                Arbitraries.of(EDGE_STRINGS),
                Arbitraries.strings().all().ofMaxLength(40).map(ApiFuzzTest::escape));
        return Arbitraries.oneOf(numbers, strings.map(s -> "\"" + s + "\""), Arbitraries.of("true", "false", "null"));
    }

    /** JSON string escaping that keeps lone surrogates as {@code \\uXXXX} escapes (Jackson decodes them). */
    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || Character.isSurrogate(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static String percentEncode(byte[] bytes) {
        StringBuilder b = new StringBuilder();
        for (byte x : bytes) {
            int c = x & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
                b.append((char) c);
            } else {
                b.append('%').append(String.format("%02X", c));
            }
        }
        return b.toString();
    }

    /** 2xx, or a clean problem+json 4xx, 503 or 504 (a 503/504 is Redis's state, not the request's). */
    private static void assertClear(HttpResponse<String> r, String where, String input) throws IOException {
        int status = r.statusCode();
        assertThat(status).as(where + " with " + abbreviate(input) + " -> " + r.body())
                .satisfiesAnyOf(s -> assertThat(s).isBetween(200, 499), s -> assertThat(s).isIn(503, 504));
        if (status >= 400) {
            assertThat(r.headers().firstValue("Content-Type")).as(where + " -> " + r.body())
                    .hasValueSatisfying(v -> assertThat(v).startsWith(Problems.CONTENT_TYPE));
            JsonNode body = JSON.readTree(r.body());
            assertThat(body.path("detail").asText()).as(r.body()).isNotBlank();
            assertThat(body.path("requestId").asText()).as(r.body()).isNotBlank();
            assertThat(r.body()).as(where).doesNotContainPattern("[0-9a-f]{40}").doesNotContain("user_script")
                    .doesNotContain("Exception").doesNotContain("at io.").doesNotContain("org.redisson")
                    .doesNotContain("java.");
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static HttpResponse<String> post(String path, byte[] body, String contentType) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + TOKEN).GET());
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
