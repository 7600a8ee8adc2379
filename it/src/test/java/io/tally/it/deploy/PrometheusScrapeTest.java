package io.tally.it.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tally.common.config.TallyConfig;
import io.tally.common.model.CounterOp;
import io.tally.app.runtime.ProcessorRuntime;
import io.tally.app.runtime.Http;
import io.tally.app.runtime.MetricsHttpServer;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.metrics.MicrometerProducerMetrics;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.redisson.api.RedissonClient;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real Prometheus scrapes a running processor and a producer's metrics, and every metric name that
 * deploy/'s alert rules and dashboard use returns data; the alert rules load and evaluate.
 */
@Tag("slow")
@ExtendWith(RealRedisExtension.class)
class PrometheusScrapeTest {
    /**
     * Exported by redis_exporter (run by compose and the Kubernetes manifests), not by Tally; this test
     * has no exporter, so they are not queried.
     */
    private static final Set<String> REDIS_EXPORTER = Set.of("redis_memory_used_bytes", "redis_memory_max_bytes");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyMetricUsedByAlertsAndDashboard_hasDataFromTheRunningProcesses(TestRedis testRedis, @TempDir Path tmp)
            throws IOException, InterruptedException {
        Path prometheus = DeployFiles.tool("prometheus", "prometheus");
        Set<String> used = usedMetricNames();
        assertThat(used).contains("tally_partition_lag", "tally_processor_records_applied_total", "up");

        TallyConfig config = testRedis.config(4).set(TallyConfig.HTTP_PORT, 0).build();
        PrometheusMeterRegistry producerRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        RedissonClient redis = testRedis.client();
        Process server = null;
        try (ProcessorRuntime runtime = ProcessorRuntime.start(config, 500);
             MicrometerProducerMetrics producerMetrics = new MicrometerProducerMetrics(producerRegistry, config.namespace());
             MetricsHttpServer producerHttp = MetricsHttpServer.start("127.0.0.1", 0, producerRegistry, () -> true);
             TallyProducer producer = RedisTallyProducer.create(redis, false, config, producerMetrics)) {
            CompletableFuture.allOf(IntStream.range(0, 200).mapToObj(i -> producer.incr("c" + (i % 7), 1))
                    .toArray(CompletableFuture[]::new)).join();
            producer.send(CounterOp.incr("c0", 1).withId("op-1")).join();
            producer.send(CounterOp.incr("c0", 1).withId("op-1")).join();
            System.gc(); // so that jvm_gc_pause_seconds exists

            int port = freePort();
            Path yml = tmp.resolve("prometheus.yml");
            Files.writeString(yml, """
                    global:
                      scrape_interval: 1s
                      evaluation_interval: 1s
                    rule_files:
                      - %s
                    scrape_configs:
                      - job_name: tally-processor
                        static_configs: [{targets: ["127.0.0.1:%d"]}]
                      - job_name: tally-service
                        static_configs: [{targets: ["127.0.0.1:%d"]}]
                    """.formatted(DeployFiles.file("prometheus/alerts.yml").toAbsolutePath(), runtime.httpPort(),
                    producerHttp.port()));
            server = new ProcessBuilder(prometheus.toString(), "--config.file=" + yml,
                    "--storage.tsdb.path=" + tmp.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("prometheus.log").toFile()).start();
            String api = "http://127.0.0.1:" + port + "/api/v1/";

            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                List<String> missing = new ArrayList<>();
                for (String name : used) {
                    if (!REDIS_EXPORTER.contains(name) && resultCount(api, "count({__name__=\"" + name + "\"})") == 0) {
                        missing.add(name);
                    }
                }
                assertThat(missing).as("metric names used in deploy/ without data in Prometheus").isEmpty();
            });
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(value(api, "sum(tally_processor_records_applied_total{topic=\"ops\"})")).isEqualTo(201);
                assertThat(value(api, "sum(tally_producer_duplicates_total)")).isEqualTo(1);
                assertThat(value(api, "sum(tally_partition_lag)")).isZero();
            });

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode rules = get(api + "rules").path("data").path("groups").get(0).path("rules");
                assertThat(rules.size()).isEqualTo(11);
                for (JsonNode rule : rules) {
                    assertThat(rule.path("health").asText()).as(rule.path("name").asText() + ": " + rule.path("lastError"))
                            .isEqualTo("ok");
                }
            });
        } finally {
            if (server != null) {
                server.destroy();
                server.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
            redis.shutdown();
            producerRegistry.close();
        }
    }

    /** Names used by the alert rules' expressions and the dashboard's queries. */
    private static Set<String> usedMetricNames() throws IOException {
        Set<String> names = new TreeSet<>();
        JsonNode rules = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper()
                .readTree(DeployFiles.file("prometheus/alerts.yml").toFile());
        for (JsonNode group : rules.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                names.addAll(DeployFiles.metricNames(rule.path("expr").asText()));
            }
        }
        JsonNode dashboard = JSON.readTree(DeployFiles.file("grafana/dashboards/tally.json").toFile());
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                names.addAll(DeployFiles.metricNames(target.path("expr").asText()));
            }
        }
        return names;
    }

    private static int resultCount(String api, String query) throws IOException {
        return get(api + "query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)).path("data").path("result").size();
    }

    private static double value(String api, String query) throws IOException {
        JsonNode result = get(api + "query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)).path("data").path("result");
        return result.get(0).path("value").get(1).asDouble();
    }

    private static JsonNode get(String url) throws IOException {
        return JSON.readTree(Http.get(url).body());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
