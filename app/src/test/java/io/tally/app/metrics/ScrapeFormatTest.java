package io.tally.app.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import static io.tally.app.metrics.ScrapeFormat.OPEN_METRICS;
import static io.tally.app.metrics.ScrapeFormat.PROMETHEUS_TEXT;
import static org.assertj.core.api.Assertions.assertThat;

class ScrapeFormatTest {
    /** What Prometheus 2.x sends by default. */
    private static final String PROMETHEUS_ACCEPT = "application/openmetrics-text;version=1.0.0;q=0.5,"
            + "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

    @Test
    void openMetricsIsChosenWhenAskedAtLeastAsHighAsText() {
        assertThat(ScrapeFormat.negotiate(PROMETHEUS_ACCEPT)).isEqualTo(OPEN_METRICS);
        assertThat(ScrapeFormat.negotiate("application/openmetrics-text")).isEqualTo(OPEN_METRICS);
        assertThat(ScrapeFormat.negotiate("Application/OpenMetrics-Text; version=1.0.0")).isEqualTo(OPEN_METRICS);
        assertThat(ScrapeFormat.negotiate("text/plain, application/openmetrics-text")).isEqualTo(OPEN_METRICS);
        assertThat(ScrapeFormat.negotiate("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                + "encoding=delimited;q=0.9,application/openmetrics-text;q=0.5")).isEqualTo(OPEN_METRICS);
    }

    @Test
    void textIsChosenOtherwise() {
        assertThat(ScrapeFormat.negotiate(null)).isEqualTo(PROMETHEUS_TEXT);
        assertThat(ScrapeFormat.negotiate("")).isEqualTo(PROMETHEUS_TEXT);
        assertThat(ScrapeFormat.negotiate("*/*")).isEqualTo(PROMETHEUS_TEXT);
        assertThat(ScrapeFormat.negotiate("text/plain")).isEqualTo(PROMETHEUS_TEXT);
        assertThat(ScrapeFormat.negotiate("application/json")).isEqualTo(PROMETHEUS_TEXT);
        assertThat(ScrapeFormat.negotiate("application/openmetrics-text;q=0")).isEqualTo(PROMETHEUS_TEXT);
        assertThat(ScrapeFormat.negotiate("application/openmetrics-text;q=0.2,text/plain;q=0.8")).isEqualTo(PROMETHEUS_TEXT);
        assertThat(ScrapeFormat.negotiate("application/openmetrics-text;q=abc")).isEqualTo(PROMETHEUS_TEXT);
        assertThat(ScrapeFormat.negotiate("application/openmetrics-text;q=NaN")).isEqualTo(PROMETHEUS_TEXT);
        assertThat(ScrapeFormat.negotiate("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                + "encoding=delimited")).isEqualTo(PROMETHEUS_TEXT);
    }

    @Test
    void eachFormatScrapesTheRegistryInItsOwnSyntax() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Counter.builder("tally.test.things").register(registry).increment(2);

        String openMetrics = OPEN_METRICS.scrape(registry);
        String text = PROMETHEUS_TEXT.scrape(registry);

        assertThat(openMetrics).contains("# TYPE tally_test_things counter\n").contains("tally_test_things_total 2.0")
                .endsWith("# EOF\n");
        assertThat(text).contains("# TYPE tally_test_things_total counter\n").contains("tally_test_things_total 2.0")
                .doesNotContain("# EOF");
        registry.close();
    }
}
