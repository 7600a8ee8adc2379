package io.tally.app.service;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tally.app.runtime.Http;
import io.tally.app.runtime.PrometheusText;
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
import java.net.http.HttpRequest;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The service's request histogram after real requests: labels bounded whatever the paths and methods sent. */
@ExtendWith(RealRedisExtension.class)
class HttpRequestMetricsTest {
    private static final String TOKEN = "test-token-1-0123456789";
    private static final String REQUESTS = "tally_http_server_requests_seconds_count";

    private static RedissonClient redis;
    private static PrometheusMeterRegistry registry;
    private static ApiServer server;
    private static String namespace;

    @BeforeAll
    static void start(TestRedis testRedis) {
        redis = testRedis.client();
        TallyConfig config = testRedis.config(2).set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1")
                .set(TallyConfig.API_TOKENS, TOKEN).build();
        namespace = config.namespace();
        registry = ServiceMetrics.newRegistry(namespace);
        server = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP, registry);
    }

    @AfterAll
    static void stop() {
        server.close();
        redis.shutdown();
        registry.close();
    }

    @Test
    void requestsAreCountedByMethodRouteTemplateAndStatus_neverByRawPath() {
        for (String name : new String[] {"a", "b", "c"}) {
            assertThat(send("POST", "/v1/counters/" + name + "/incr", TOKEN).statusCode()).isEqualTo(202);
        }
        assertThat(send("GET", "/v1/counters/a", null).statusCode()).isEqualTo(401);
        assertThat(send("GET", "/no/such/path-1", null).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/no/such/path-2", null).statusCode()).isEqualTo(404);
        send("BREW", "/v1/counters/a", TOKEN);
        assertThat(send("GET", "/v1/counters/a%2Fb", TOKEN).statusCode()).isEqualTo(400);

        PrometheusText m = new PrometheusText(registry.scrape());

        assertThat(m.sum(REQUESTS, "method", "POST", "route", "/v1/counters/{name}/incr", "status", "202"))
                .isEqualTo(3);
        assertThat(m.sum(REQUESTS, "method", "GET", "route", "/v1/counters/{name}", "status", "401")).isEqualTo(1);
        assertThat(m.sum(REQUESTS, "method", "GET", "route", HttpRequestMetrics.UNMATCHED, "status", "404"))
                .isEqualTo(2);
        assertThat(m.sum(REQUESTS, "method", HttpRequestMetrics.OTHER_METHOD)).isEqualTo(1);
        assertThat(m.sum(REQUESTS, "method", "GET", "status", "400")).isEqualTo(1);
        assertThat(m.sum("tally_http_server_requests_seconds_bucket", "method", "POST", "status", "202", "le", "+Inf"))
                .isEqualTo(3);
        assertThat(m.find(REQUESTS)).allSatisfy(s -> assertThat(s.labels()).containsEntry("namespace", namespace));
        Set<String> routes = m.find(REQUESTS).stream().map(s -> s.labels().get("route")).collect(Collectors.toSet());
        assertThat(routes).containsOnly("/v1/counters/{name}/incr", "/v1/counters/{name}", HttpRequestMetrics.UNMATCHED);
    }

    @Test
    void aWrongMethodOnAKnownPath_isCountedUnderThePathsRoute_andMethodsAreCaseSensitive() {
        // a route the other test counts too, so that the set of routes it expects holds in any order
        assertThat(send("DELETE", "/v1/counters/x/incr", TOKEN).statusCode()).isEqualTo(405);

        PrometheusText m = new PrometheusText(registry.scrape());
        assertThat(m.sum(REQUESTS, "method", "DELETE", "route", "/v1/counters/{name}/incr", "status", "405")).isEqualTo(1);
        assertThat(HttpRequestMetrics.method("get")).isEqualTo(HttpRequestMetrics.OTHER_METHOD);
        assertThat(HttpRequestMetrics.method("GET")).isEqualTo("GET");
    }

    @Test
    void everySeriesOfTheServiceCarriesItsNamespace() {
        PrometheusText m = new PrometheusText(registry.scrape());

        assertThat(m.find("jvm_memory_used_bytes")).isNotEmpty()
                .allSatisfy(s -> assertThat(s.labels()).containsEntry("namespace", namespace));
        assertThat(m.find("tally_api_waits", "namespace", namespace)).hasSize(1);
    }

    private static java.net.http.HttpResponse<String> send(String method, String path, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return Http.send(b.build());
    }
}
