package io.tally.app.service;

import io.tally.common.config.TallyConfig;
import io.tally.producer.ProducerMetrics;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.redisson.api.RedissonClient;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Review (h/review2): numbers the exact-number reader must take or refuse with a 4xx, never a 5xx. */
@ExtendWith(RealRedisExtension.class)
class ExactNumberEdgesTest {
    private static final String TOKEN = "number-edges-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

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

    @ParameterizedTest
    @ValueSource(strings = {"1e99999999999", "1e-99999999999", "1E2147483648", "-1e-2147483649", "1e999999999",
            "0.0e99999999999"})
    void anEventParamWithAnExtremeExponent_isNo5xx(String number) throws Exception {
        HttpResponse<String> r = post("/v1/events", "{\"type\":\"edge\",\"params\":{\"x\":" + number + "}}");
        assertThat(r.statusCode()).as(r.body()).isLessThan(500);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e99999999999", "1E2147483648", "1e999999999"})
    void aCounterAmountWithAnExtremeExponent_isNo5xx(String number) throws Exception {
        HttpResponse<String> r = post("/v1/counters/edge/incr", "{\"by\":" + number + "}");
        assertThat(r.statusCode()).as(r.body()).isLessThan(500);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e99999999999", "1E2147483648", "1e999999999"})
    void aThresholdWithAnExtremeExponent_isNo5xxAndQuick(String number) throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> r = post("/v1/triggers", "{\"kind\":\"threshold\",\"counter\":\"edge\",\"op\":\">=\","
                + "\"value\":" + number + "}");
        assertThat(r.statusCode()).as(r.body()).isLessThan(500);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
