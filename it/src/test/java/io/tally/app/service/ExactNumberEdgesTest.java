package io.tally.app.service;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Review (h/review2): numbers the exact-number reader must take or refuse with a 4xx, never a 5xx. */
class ExactNumberEdgesTest {
    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(4);

    @ParameterizedTest
    @ValueSource(strings = {"1e99999999999", "1e-99999999999", "1E2147483648", "-1e-2147483649", "1e999999999",
            "0.0e99999999999"})
    void anEventParamWithAnExtremeExponent_isNo5xx(String number) throws Exception {
        HttpResponse<String> r = api.post("/v1/events", "{\"type\":\"edge\",\"params\":{\"x\":" + number + "}}");
        assertThat(r.statusCode()).as(r.body()).isLessThan(500);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e99999999999", "1E2147483648", "1e999999999"})
    void aCounterAmountWithAnExtremeExponent_isNo5xx(String number) throws Exception {
        HttpResponse<String> r = api.post("/v1/counters/edge/incr", "{\"by\":" + number + "}");
        assertThat(r.statusCode()).as(r.body()).isLessThan(500);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e99999999999", "1E2147483648", "1e999999999"})
    void aThresholdWithAnExtremeExponent_isNo5xxAndQuick(String number) throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> r = api.post("/v1/triggers", "{\"kind\":\"threshold\",\"counter\":\"edge\",\"op\":\">=\","
                + "\"value\":" + number + "}");
        assertThat(r.statusCode()).as(r.body()).isLessThan(500);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
}
