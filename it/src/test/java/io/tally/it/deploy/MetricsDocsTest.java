package io.tally.it.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tally.app.runtime.Http;
import io.tally.app.runtime.ProcessorRuntime;
import io.tally.app.service.ApiServer;
import io.tally.app.service.ApiTokens;
import io.tally.app.service.ServiceMetrics;
import io.tally.common.config.TallyConfig;
import io.tally.processor.ProcessorListener;
import io.tally.processor.metrics.MicrometerProcessorMetrics;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.metrics.MicrometerProducerMetrics;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The metrics that docs/observability.md documents are the ones Tally exports, with the labels it gives,
 * and every metric name that the docs, the alert rules (and their unit tests) and the Grafana dashboard use
 * exists. What is exported is read from real registries: a running processor and a running HTTP service
 * against a real Redis, scraped over HTTP, plus the processor's and producer's metrics with every listener
 * method called once, so that meters registered only on a rare event (an apply failure, a late series
 * entry) exist too. Every meter name registered in the main sources must show up in those scrapes, so a meter
 * added elsewhere fails here until this test exercises it and the docs list it.
 */
@ExtendWith(RealRedisExtension.class)
class MetricsDocsTest {
    private static final Path REPO = DeployFiles.root().getParent();
    private static final String TOKEN = "metrics-docs-test-token-0123456789";
    /** Labels the docs state once for all: every meter has namespace, the service's have component. */
    private static final Set<String> COMMON_LABELS = Set.of("namespace", "component", "le");
    private static final Pattern METER_NAME_LITERAL = Pattern.compile("\"(tally(?:\\.[a-z0-9]+)+)\"");
    private static final Pattern METRIC_MENTION = Pattern.compile("\\b(?:tally|jvm|process|system)_[a-z0-9_]*\\*?");
    private static final Pattern BACKTICKED = Pattern.compile("`([^`]+)`");
    private static Exposition exported;

    @Test
    void observabilityTables_listExactlyTheExportedTallyMetrics_withTheirTypeAndLabels(TestRedis redis)
            throws Exception {
        Map<String, Exposition.Family> tally = tallyMetricsByDocumentedName(exported(redis));
        Map<String, DocRow> documented = documentedMetrics();

        assertThat(minus(documented.keySet(), tally.keySet()))
                .as("metrics docs/observability.md lists that Tally does not export").isEmpty();
        assertThat(minus(tally.keySet(), documented.keySet()))
                .as("metrics Tally exports that docs/observability.md does not list").isEmpty();
        assertThat(exported(redis).families().values()).as("every series names its namespace (docs/observability.md)")
                .allSatisfy(f -> assertThat(f.labels()).as(f.name()).contains("namespace"));
        for (Map.Entry<String, DocRow> doc : documented.entrySet()) {
            Exposition.Family family = tally.get(doc.getKey());
            Set<String> labels = new TreeSet<>(family.labels());
            labels.removeAll(COMMON_LABELS);
            assertThat(doc.getValue().labels()).as("labels of " + doc.getKey() + " in docs/observability.md")
                    .isEqualTo(labels);
            if (doc.getValue().type() != null) {
                assertThat(doc.getValue().type()).as("type of " + doc.getKey() + " in docs/observability.md")
                        .startsWith(family.type());
            }
        }
    }

    @Test
    void everyMetricNameInDocsAlertsAndDashboards_isExported(TestRedis redis) throws Exception {
        Set<String> series = exported(redis).seriesNames();
        Map<String, Set<String>> unknown = new TreeMap<>();
        for (Path file : filesNamingMetrics()) {
            for (String mention : mentions(Files.readString(file))) {
                boolean prefix = mention.endsWith("*") || mention.endsWith("_");
                String name = mention.replaceAll("\\*$", "");
                boolean known = prefix ? series.stream().anyMatch(s -> s.startsWith(name)) : series.contains(name);
                if (!known) {
                    unknown.computeIfAbsent(REPO.relativize(file).toString(), f -> new TreeSet<>()).add(mention);
                }
            }
        }
        assertThat(unknown).as("metric names used in docs and deploy/ that no Tally process exports").isEmpty();
    }

    @Test
    void jvmAndProcessMetrics_areCoveredByTheDocsList(TestRedis redis) throws Exception {
        String docs = Files.readString(REPO.resolve("docs/observability.md"));
        String section = docs.substring(docs.indexOf("### JVM and process"), docs.indexOf("\n## ", docs.indexOf("### JVM and process")));
        List<String> patterns = new ArrayList<>();
        Matcher m = BACKTICKED.matcher(section);
        while (m.find()) {
            patterns.add(m.group(1));
        }
        List<String> undocumented = exported(redis).families().keySet().stream()
                .filter(name -> !name.startsWith("tally_"))
                .filter(name -> patterns.stream().noneMatch(p -> p.endsWith("*") ? name.startsWith(p.substring(0, p.length() - 1))
                        : name.equals(p)))
                .toList();
        assertThat(undocumented).as("JVM and process metrics that docs/observability.md (JVM and process) does not cover")
                .isEmpty();
    }

    @Test
    void everyMeterNameInTheMainSources_isExportedByTheRegistriesThisTestScrapes(TestRedis redis) throws Exception {
        Set<String> families = exported(redis).families().keySet();
        List<String> missing = new ArrayList<>();
        for (String dotted : meterNamesInMainSources()) {
            String base = dotted.replace('.', '_');
            if (families.stream().noneMatch(f -> f.equals(base) || f.startsWith(base + "_"))) {
                missing.add(dotted);
            }
        }
        assertThat(missing).as("meters registered in main code that this test does not see exported: exercise them "
                + "here and document them").isEmpty();
    }

    @Test
    void everyAlert_hasItsRunbookSection_andEveryAlertSectionOfTheRunbookAnAlert() throws IOException {
        JsonNode rules = new YAMLMapper().readTree(DeployFiles.file("prometheus/alerts.yml").toFile());
        Set<String> alerts = new TreeSet<>();
        for (JsonNode group : rules.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                String alert = rule.path("alert").asText();
                alerts.add(alert);
                assertThat(rule.path("annotations").path("runbook").asText()).as(alert + "'s runbook link")
                        .isEqualTo("docs/runbook.md#" + alert.toLowerCase(java.util.Locale.ROOT));
            }
        }
        Set<String> sections = new TreeSet<>();
        Matcher heading = Pattern.compile("(?m)^## ([A-Z][A-Za-z]+)$").matcher(Files.readString(REPO.resolve("docs/runbook.md")));
        while (heading.find()) {
            sections.add(heading.group(1));
        }
        assertThat(sections).as("one-word sections of docs/runbook.md (one per alert)").isEqualTo(alerts);
    }

    private static Set<String> minus(Set<String> a, Set<String> b) {
        Set<String> rest = new TreeSet<>(a);
        rest.removeAll(b);
        return rest;
    }

    /** One row of a metrics table: its type (null in a table without that column) and label names. */
    record DocRow(String type, Set<String> labels) {
    }

    /** The rows of the tables under docs/observability.md's "## Metrics", by Prometheus name. */
    static Map<String, DocRow> documentedMetrics() throws IOException {
        String docs = Files.readString(REPO.resolve("docs/observability.md"));
        int start = docs.indexOf("\n## Metrics");
        String section = docs.substring(start, docs.indexOf("\n## ", start + 1));
        Map<String, DocRow> rows = new LinkedHashMap<>();
        List<String> header = List.of();
        for (String line : section.lines().toList()) {
            if (!line.startsWith("|") || line.startsWith("| ---")) {
                continue;
            }
            List<String> cells = Stream.of(line.substring(1, line.lastIndexOf('|')).split("\\|")).map(String::trim).toList();
            if (cells.get(0).equals("name")) {
                header = cells;
                continue;
            }
            int typeColumn = header.indexOf("type");
            DocRow row = new DocRow(typeColumn < 0 ? null : cells.get(typeColumn), labels(cells.get(header.indexOf("labels"))));
            Matcher name = BACKTICKED.matcher(cells.get(0));
            while (name.find()) {
                assertThat(name.group(1)).as("a name in docs/observability.md's metric tables").startsWith("tally_");
                assertThat(rows.put(name.group(1), row)).as(name.group(1) + " listed twice").isNull();
            }
        }
        assertThat(rows).hasSizeGreaterThan(30);
        return rows;
    }

    /** The label names of a table cell: "topic, result", "`what` (`meta`, `group`)", "-" or nothing. */
    private static Set<String> labels(String cell) {
        Set<String> labels = new TreeSet<>();
        for (String part : cell.replaceAll("\\([^)]*\\)", "").replace("`", "").split(",")) {
            if (!part.isBlank() && !part.trim().equals("-")) {
                labels.add(part.trim());
            }
        }
        return labels;
    }

    /** Tally's families by the name the docs give them: a counter with {@code _total}, no histogram's {@code _max}. */
    private static Map<String, Exposition.Family> tallyMetricsByDocumentedName(Exposition exported) {
        Map<String, Exposition.Family> byName = new TreeMap<>();
        Map<String, Exposition.Family> families = exported.families();
        for (Exposition.Family f : families.values()) {
            if (!f.name().startsWith("tally_")) {
                continue;
            }
            boolean histogramMax = f.name().endsWith("_max")
                    && families.containsKey(f.name().substring(0, f.name().length() - 4))
                    && families.get(f.name().substring(0, f.name().length() - 4)).type().equals("histogram");
            if (!histogramMax) {
                byName.put(f.type().equals("counter") && !f.name().endsWith("_total") ? f.name() + "_total" : f.name(), f);
            }
        }
        return byName;
    }

    /** Metric names, or prefixes ending in {@code _} or {@code *}, that a text uses. */
    static Set<String> mentions(String text) {
        Set<String> mentions = new TreeSet<>();
        Matcher m = METRIC_MENTION.matcher(text);
        while (m.find()) {
            mentions.add(m.group());
        }
        return mentions;
    }

    /** The docs, the README and every file under deploy/ but the Dockerfiles. */
    private static List<Path> filesNamingMetrics() throws IOException {
        List<Path> files = new ArrayList<>(List.of(REPO.resolve("README.md")));
        try (Stream<Path> docs = Files.list(REPO.resolve("docs")); Stream<Path> deploy = Files.walk(DeployFiles.root())) {
            docs.filter(p -> p.toString().endsWith(".md")).forEach(files::add);
            deploy.filter(Files::isRegularFile).filter(p -> !p.getParent().endsWith("docker")).forEach(files::add);
        }
        assertThat(files).extracting(p -> REPO.relativize(p).toString()).contains("docs/observability.md",
                "docs/runbook.md", "deploy/prometheus/alerts.yml", "deploy/prometheus/alerts_test.yml",
                "deploy/grafana/dashboards/tally.json");
        return files;
    }

    /** The dotted names of the meters that main code registers (string literals such as "tally.producer.send"). */
    private static Set<String> meterNamesInMainSources() throws IOException {
        Set<String> names = new TreeSet<>();
        for (String module : List.of("common", "producer", "processor", "app")) {
            try (Stream<Path> files = Files.walk(REPO.resolve(module).resolve("src/main/java"))) {
                for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    Matcher m = METER_NAME_LITERAL.matcher(Files.readString(file));
                    while (m.find()) {
                        names.add(m.group(1));
                    }
                }
            }
        }
        assertThat(names).contains("tally.producer.send", "tally.processor.info", "tally.partition.lag");
        return names;
    }

    /** What {@link #scrapeEverything} finds, scraped once for every test of the class. */
    private static synchronized Exposition exported(TestRedis redis) throws Exception {
        if (exported == null) {
            exported = scrapeEverything(redis);
        }
        return exported;
    }

    /**
     * The families of a running processor and a running HTTP service (both scraped over HTTP), and of the
     * processor's and producer's metrics with every listener method called.
     */
    private static Exposition scrapeEverything(TestRedis testRedis) throws Exception {
        Exposition exposition = new Exposition();
        TallyConfig config = testRedis.config(4).set(TallyConfig.METRICS_PORT, 0).set(TallyConfig.API_PORT, 0)
                .set(TallyConfig.API_HOST, "127.0.0.1").set(TallyConfig.API_TOKENS, TOKEN).build();
        PrometheusMeterRegistry serviceRegistry = ServiceMetrics.newRegistry(config.namespace());
        RedissonClient redis = testRedis.client();
        try (ProcessorRuntime runtime = ProcessorRuntime.start(config, 200);
             MicrometerProducerMetrics producerMetrics = new MicrometerProducerMetrics(serviceRegistry, config.namespace());
             ApiServer service = new ApiServer(redis, config, ApiTokens.from(config), producerMetrics, serviceRegistry);
             TallyProducer producer = RedisTallyProducer.create(redis, false, config, producerMetrics)) {
            CompletableFuture.allOf(IntStream.range(0, 20).mapToObj(i -> producer.incr("c" + (i % 5), 1))
                    .toArray(CompletableFuture[]::new)).join();
            assertThat(Http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port()
                            + "/v1/counters/docs/incr")).header("Authorization", "Bearer " + TOKEN)
                    .POST(HttpRequest.BodyPublishers.noBody()).build()).statusCode()).isEqualTo(202);
            System.gc(); // so that the GC pause timer has a sample
            String processorMetrics = "http://127.0.0.1:" + runtime.httpPort() + "/metrics";
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Http.get(processorMetrics).body())
                    .contains("tally_partition_lag{").contains("tally_processor_partition_halted{")
                    .contains("tally_processor_info{").contains("jvm_gc_pause_seconds_count{"));
            exposition.add(Http.get(processorMetrics).body());
            exposition.add(Http.get("http://127.0.0.1:" + service.port() + "/metrics").body());
        } finally {
            redis.shutdown();
            serviceRegistry.close();
        }
        PrometheusMeterRegistry listeners = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (MicrometerProcessorMetrics processor = new MicrometerProcessorMetrics(listeners, config.namespace());
             MicrometerProducerMetrics producer = new MicrometerProducerMetrics(listeners, config.namespace())) {
            callEveryMethod(ProcessorListener.class, processor);
            callEveryMethod(ProducerMetrics.class, producer);
            exposition.add(listeners.scrape());
        } finally {
            listeners.close();
        }
        return exposition;
    }

    /** Calls every instance method of the interface once, with "ops" for a text, 1 for a number, true. */
    private static <T> void callEveryMethod(Class<T> api, T target) throws Exception {
        int called = 0;
        for (Method method : api.getMethods()) {
            if (Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            Object[] args = new Object[method.getParameterCount()];
            Class<?>[] types = method.getParameterTypes();
            for (int i = 0; i < args.length; i++) {
                args[i] = types[i] == String.class ? "ops" : types[i] == int.class ? (Object) 1
                        : types[i] == long.class ? (Object) 1L : types[i] == boolean.class ? (Object) true : null;
                assertThat(args[i]).as("a sample value of " + types[i] + " for " + method).isNotNull();
            }
            method.invoke(target, args);
            called++;
        }
        assertThat(called).isPositive();
    }
}
