package io.tally.it.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tally.app.runtime.Http;
import io.tally.app.runtime.ProcessorRuntime;
import io.tally.app.service.ApiServer;
import io.tally.app.service.ApiTokens;
import io.tally.app.service.ServiceMetrics;
import io.tally.common.config.TallyConfig;
import io.tally.common.model.CounterOp;
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
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real Prometheus scrapes a running processor and a running HTTP service (in the format it negotiates:
 * OpenMetrics), the alert rules load and evaluate, and every query of the Grafana dashboard, with its
 * variables substituted as Grafana would, returns data.
 */
@Tag("slow")
@ExtendWith(RealRedisExtension.class)
class PrometheusScrapeTest {
    /**
     * Exported by redis_exporter (run by compose and the Kubernetes manifests), not by Tally; this test
     * has no exporter, so they are not queried. They carry no Tally namespace either.
     */
    private static final Set<String> REDIS_EXPORTER = Set.of("redis_memory_used_bytes", "redis_memory_max_bytes");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DATASOURCE = "${datasource}";
    private static final String NAMESPACE_SELECTOR = "namespace=\"$namespace\"";
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((\\w+),\\s*(\\w+)\\)");
    private static final String TOKEN = "scrape-test-token-0123456789";

    @Test
    void alertsEvaluate_andEveryDashboardQueryReturnsDataFromTheRunningProcesses(TestRedis testRedis,
                                                                                  @TempDir Path tmp)
            throws IOException, InterruptedException {
        Path prometheus = DeployFiles.tool("prometheus", "prometheus");
        JsonNode dashboard = JSON.readTree(DeployFiles.file("grafana/dashboards/tally.json").toFile());
        Set<String> used = usedMetricNames(dashboard);
        assertThat(used).contains("tally_partition_lag", "tally_processor_records_applied_total",
                "tally_http_server_requests_seconds_count", "up");
        String namespaceQuery = checkVariables(dashboard);
        List<JsonNode> targets = checkPanels(dashboard);

        TallyConfig config = testRedis.config(4).set(TallyConfig.METRICS_PORT, 0).set(TallyConfig.API_PORT, 0)
                .set(TallyConfig.API_HOST, "127.0.0.1").set(TallyConfig.API_TOKENS, TOKEN).build();
        PrometheusMeterRegistry serviceRegistry = ServiceMetrics.newRegistry(config.namespace());
        RedissonClient redis = testRedis.client();
        Process server = null;
        try (ProcessorRuntime runtime = ProcessorRuntime.start(config, 500);
             MicrometerProducerMetrics producerMetrics = new MicrometerProducerMetrics(serviceRegistry, config.namespace());
             ApiServer service = new ApiServer(redis, config, ApiTokens.from(config), producerMetrics, serviceRegistry);
             TallyProducer producer = RedisTallyProducer.create(redis, false, config, producerMetrics)) {
            CompletableFuture.allOf(IntStream.range(0, 200).mapToObj(i -> producer.incr("c" + (i % 7), 1))
                    .toArray(CompletableFuture[]::new)).join();
            producer.send(CounterOp.incr("c0", 1).withId("op-1")).join();
            producer.send(CounterOp.incr("c0", 1).withId("op-1")).join();
            for (int i = 0; i < 3; i++) {
                assertThat(Http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port()
                                + "/v1/counters/http-" + i + "/incr")).header("Authorization", "Bearer " + TOKEN)
                        .POST(HttpRequest.BodyPublishers.noBody()).build()).statusCode()).isEqualTo(202);
            }
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
                    service.port()));
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
                assertThat(value(api, "sum(tally_processor_records_applied_total{topic=\"ops\"})")).isEqualTo(204);
                assertThat(value(api, "sum(tally_producer_duplicates_total)")).isEqualTo(1);
                assertThat(value(api, "sum(tally_partition_lag)")).isZero();
                assertThat(value(api, "sum(tally_http_server_requests_seconds_count{route=\"/v1/counters/{name}/incr\"})"))
                        .isEqualTo(3);
            });

            Map<String, String> variables = new LinkedHashMap<>();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(labelValues(api, namespaceQuery)).as(namespaceQuery).contains(config.namespace()));
            variables.put("namespace", config.namespace());
            variables.put("__rate_interval", "1m");
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                List<String> empty = new ArrayList<>();
                for (JsonNode target : targets) {
                    String expr = target.path("expr").asText();
                    if (REDIS_EXPORTER.containsAll(DeployFiles.metricNames(expr))) {
                        continue;
                    }
                    String query = substitute(expr, variables);
                    if (resultCount(api, query) == 0) {
                        empty.add(query);
                    }
                }
                assertThat(empty).as("dashboard queries without data").isEmpty();
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
            serviceRegistry.close();
        }
    }

    /**
     * Checks the dashboard's variables: a Prometheus data source picker, and the namespace as a query of
     * that data source. Returns the namespace variable's query.
     */
    private static String checkVariables(JsonNode dashboard) {
        Map<String, JsonNode> variables = new LinkedHashMap<>();
        dashboard.path("templating").path("list").forEach(v -> variables.put(v.path("name").asText(), v));
        assertThat(variables).containsOnlyKeys("datasource", "namespace");
        JsonNode datasource = variables.get("datasource");
        assertThat(datasource.path("type").asText()).isEqualTo("datasource");
        assertThat(datasource.path("query").asText()).isEqualTo("prometheus");
        JsonNode namespace = variables.get("namespace");
        assertThat(namespace.path("type").asText()).isEqualTo("query");
        assertThat(namespace.path("datasource").path("uid").asText()).isEqualTo(DATASOURCE);
        String query = namespace.path("definition").asText();
        assertThat(namespace.path("query").path("query").asText()).isEqualTo(query);
        assertThat(query).matches(LABEL_VALUES);
        return query;
    }

    /**
     * Checks that every panel and query uses the data source variable and every query selects the namespace
     * (but those of redis_exporter, which has none). Returns every query target.
     */
    private static List<JsonNode> checkPanels(JsonNode dashboard) {
        List<JsonNode> targets = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            String title = panel.path("title").asText();
            assertThat(panel.path("datasource").path("uid").asText()).as(title).isEqualTo(DATASOURCE);
            assertThat(panel.path("targets").size()).as(title).isPositive();
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asText();
                assertThat(target.path("datasource").path("uid").asText()).as(expr).isEqualTo(DATASOURCE);
                if (!REDIS_EXPORTER.containsAll(DeployFiles.metricNames(expr))) {
                    assertThat(expr).as(title).contains(NAMESPACE_SELECTOR);
                }
                targets.add(target);
            }
        }
        return targets;
    }

    /** Grafana's substitution: {@code $name} and {@code ${name}}; every variable must be known. */
    private static String substitute(String expr, Map<String, String> variables) {
        String out = expr;
        for (Map.Entry<String, String> v : variables.entrySet()) {
            out = out.replace("${" + v.getKey() + "}", v.getValue()).replace("$" + v.getKey(), v.getValue());
        }
        assertThat(out).as("unknown variable in " + expr).doesNotContain("$");
        return out;
    }

    /** Names used by the alert rules' expressions and the dashboard's queries and variables. */
    private static Set<String> usedMetricNames(JsonNode dashboard) throws IOException {
        Set<String> names = new TreeSet<>();
        JsonNode rules = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper()
                .readTree(DeployFiles.file("prometheus/alerts.yml").toFile());
        for (JsonNode group : rules.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                names.addAll(DeployFiles.metricNames(rule.path("expr").asText()));
            }
        }
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                names.addAll(DeployFiles.metricNames(target.path("expr").asText()));
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            names.addAll(DeployFiles.metricNames(variable.path("definition").asText()));
        }
        return names;
    }

    /** What Grafana's {@code label_values(metric, label)} lists, asked as Grafana asks it. */
    private static List<String> labelValues(String api, String labelValuesQuery) throws IOException {
        Matcher m = LABEL_VALUES.matcher(labelValuesQuery);
        assertThat(m.matches()).isTrue();
        JsonNode data = get(api + "label/" + m.group(2) + "/values?match[]="
                + URLEncoder.encode(m.group(1), StandardCharsets.UTF_8)).path("data");
        List<String> values = new ArrayList<>();
        data.forEach(v -> values.add(v.asText()));
        return values;
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
