package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.common.config.TallyConfig;
import io.tally.producer.ProducerMetrics;
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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A body past one of the JSON reader's limits (nesting deeper than 1000, a number of more than 1000 digits, a key
 * of more than 50,000 characters) is a 400 that names the limit in plain words and no Java class or method
 * (docs/api.md: "A body never carries a Java class"); the same for a line of a batch.
 */
@ExtendWith(RealRedisExtension.class)
class JsonParserLimitsTest {
    private static final String TOKEN = "parser-limits-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static RedissonClient redis;
    private static ApiServer server;

    @BeforeAll
    static void start(TestRedis testRedis) {
        redis = testRedis.client();
        TallyConfig config = testRedis.config(4).set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1")
                .set(TallyConfig.API_TOKENS, TOKEN).build();
        server = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP, ServiceMetrics.newRegistry());
    }

    @AfterAll
    static void stop() {
        server.close();
        redis.shutdown();
    }

    @Test
    void nestingDeeperThan1000_is400NamingTheLimit_andNoJavaClass() throws Exception {
        assertPlain400(post("/v1/counters/limits/incr", "[".repeat(1001) + "]".repeat(1001)),
                "nested deeper than 1000 levels");
    }

    @Test
    void aNumberOfMoreThan1000Digits_is400NamingTheLimit_andNoJavaClass() throws Exception {
        assertPlain400(post("/v1/counters/limits/incr", "{\"by\":" + "9".repeat(1001) + "}"),
                "a number longer than 1000 digits");
    }

    @Test
    void aKeyOfMoreThan50000Characters_is400NamingTheLimit_andNoJavaClass() throws Exception {
        assertPlain400(post("/v1/counters/limits/incr", "{\"" + "k".repeat(50_001) + "\":1}"),
                "a key longer than 50000 characters");
    }

    @Test
    void aBatchLinePastALimit_failsAloneNamingTheLimit_andNoJavaClass() throws Exception {
        HttpResponse<String> r = HTTP.send(authed("/v1/batch").header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString("{\"op\":\"incr\",\"counter\":\"limits\",\"by\":"
                        + "9".repeat(1001) + "}\n{\"op\":\"incr\",\"counter\":\"limits\"}\n")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode summary = JSON.readTree(r.body());
        assertThat(summary.get("accepted").asLong()).isEqualTo(1);
        JsonNode error = summary.get("errors").get(0);
        assertThat(error.get("status").asInt()).isEqualTo(400);
        assertThat(error.get("detail").asText()).contains("line 1").contains("a number longer than 1000 digits")
                .doesNotContain("StreamReadConstraints").doesNotContain("()");
    }

    private static void assertPlain400(HttpResponse<String> r, String limit) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        String detail = JSON.readTree(r.body()).get("detail").asText();
        assertThat(detail).contains(limit).doesNotContain("StreamReadConstraints").doesNotContain("()")
                .doesNotContain("`");
    }

    private static HttpResponse<String> post(String path, String json) throws Exception {
        return HTTP.send(authed(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder authed(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer " + TOKEN);
    }
}
