package io.tally.app.runtime;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

class MetricsHttpServerTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicBoolean ready = new AtomicBoolean(true);
    private final MetricsHttpServer server = MetricsHttpServer.start("127.0.0.1", 0, registry, ready::get);

    @AfterEach
    void stop() {
        server.close();
        registry.close();
    }

    @Test
    void metrics_servePrometheusTextOfTheRegistry() {
        Counter.builder("tally.test.things").description("things").register(registry).increment(3);

        HttpResponse<String> response = Http.get(url("/metrics"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        assertThat(new PrometheusText(response.body()).sum("tally_test_things_total")).isEqualTo(3.0);
        assertThat(response.body()).contains("# HELP tally_test_things_total things");
    }

    @Test
    void metrics_answerTextFormat004_unlessOpenMetricsIsAsked() {
        Counter.builder("tally.test.things").description("things").register(registry).increment(3);

        HttpResponse<String> text = get("/metrics", "*/*");
        HttpResponse<String> openMetrics = get("/metrics", "application/openmetrics-text;version=1.0.0;q=0.5,"
                + "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2");

        assertThat(text.headers().firstValue("Content-Type")).contains("text/plain; version=0.0.4; charset=utf-8");
        assertThat(text.body()).contains("# TYPE tally_test_things_total counter").doesNotContain("# EOF");
        assertThat(openMetrics.statusCode()).isEqualTo(200);
        assertThat(openMetrics.headers().firstValue("Content-Type"))
                .contains("application/openmetrics-text; version=1.0.0; charset=utf-8");
        assertThat(openMetrics.headers().firstValue("Vary")).contains("Accept");
        assertThat(openMetrics.body()).contains("# TYPE tally_test_things counter\n")
                .contains("tally_test_things_total 3.0").endsWith("# EOF\n");
    }

    @Test
    void readiness_followsTheCheck_andDrainTurnsItOffForGood() {
        assertThat(Http.get(url("/health/ready")).statusCode()).isEqualTo(200);
        ready.set(false);
        assertThat(Http.get(url("/health/ready")).statusCode()).isEqualTo(503);
        ready.set(true);
        server.drain();
        HttpResponse<String> drained = Http.get(url("/health/ready"));
        assertThat(drained.statusCode()).isEqualTo(503);
        assertThat(drained.body()).contains("shutting down");
        assertThat(Http.get(url("/health/live")).statusCode()).isEqualTo(200);
    }

    @Test
    void readiness_namesHaltedPartitionsAndStaysReady() {
        try (MetricsHttpServer withDetail = MetricsHttpServer.start("127.0.0.1", 0, registry, () -> true,
                () -> "halted partition 3: unknown_version since 1 (ops entry after 1-0 has version '2')\n")) {
            HttpResponse<String> response = Http.get("http://127.0.0.1:" + withDetail.port() + "/health/ready");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("ready\nhalted partition 3: unknown_version since 1 "
                    + "(ops entry after 1-0 has version '2')\n");
        }
    }

    /** A processor's start logged Jetty's WARN about a bounded job queue every time. */
    @Test
    void startsWithoutAWarning() {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger jetty = (Logger) LoggerFactory.getLogger("org.eclipse.jetty");
        jetty.addAppender(logs);
        try (MetricsHttpServer another = MetricsHttpServer.start("127.0.0.1", 0, registry, () -> true)) {
            assertThat(another.port()).isPositive();
        } finally {
            jetty.detachAppender(logs);
        }
        assertThat(logs.list).filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .map(ILoggingEvent::getFormattedMessage).isEmpty();
    }

    @Test
    void unknownPathsAndMethods_areRefused() {
        assertThat(Http.get(url("/nope")).statusCode()).isEqualTo(404);
        HttpResponse<String> post = Http.send(HttpRequest.newBuilder(URI.create(url("/metrics")))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build());
        assertThat(post.statusCode()).isEqualTo(405);
    }

    private HttpResponse<String> get(String path, String accept) {
        return Http.send(HttpRequest.newBuilder(URI.create(url(path))).header("Accept", accept).GET().build());
    }

    private String url(String path) {
        return "http://127.0.0.1:" + server.port() + path;
    }
}
