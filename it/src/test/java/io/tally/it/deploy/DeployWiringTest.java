package io.tally.it.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.common.config.ConfigKey;
import io.tally.common.config.TallyConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The deploy artifacts agree with the code: each {@code TALLY_*} variable is a configuration key, probes and
 * scrape annotations name the ports the processes serve, Tally runs as the ACL users of docs/operations.md,
 * and Redis has the settings it requires.
 */
class DeployWiringTest {
    private static final List<JsonNode> docs = DeployFiles.k8sObjects();
    private static final Pattern TALLY_VARIABLE = Pattern.compile("\\bTALLY_[A-Z0-9_]+\\b");
    /** Read by logback.xml, not by TallyConfig (docs/observability.md). */
    private static final Set<String> LOGGING_VARIABLES = Set.of("TALLY_LOG_FORMAT");

    @Test
    void everyTallyVariable_isAConfigurationKey() {
        Set<String> known = new HashSet<>(LOGGING_VARIABLES);
        TallyConfig.keys().stream().map(ConfigKey::env).forEach(known::add);
        List<String> used = new ArrayList<>();
        for (String file : List.of("compose/docker-compose.yml", "k8s/02-configmap.yaml", "k8s/20-processor.yaml",
                "k8s/30-service.yaml", "docker/processor.Dockerfile", "docker/service.Dockerfile", "README.md")) {
            Matcher m = TALLY_VARIABLE.matcher(DeployFiles.read(file));
            while (m.find()) {
                used.add(file + ": " + m.group());
            }
        }
        assertThat(used).hasSizeGreaterThan(10)
                .allSatisfy(u -> assertThat(known).as(u).contains(u.substring(u.indexOf(": ") + 2)));
    }

    @Test
    void probesAndScrapeAnnotations_nameThePortEachProcessServesHealthAndMetricsOn() {
        JsonNode config = DeployFiles.k8sObject(docs, "ConfigMap", "tally-config").path("data");
        // the processor serves /health and /metrics on its metrics port, the HTTP service on its API port
        assertPorts("tally-processor", config.path(TallyConfig.METRICS_PORT.env()).asInt());
        assertPorts("tally-service", config.path(TallyConfig.API_PORT.env()).asInt());
        assertThat(DeployFiles.read("docker/processor.Dockerfile")).contains("EXPOSE 9400", "TALLY_METRICS_PORT=9400",
                "/dev/tcp/127.0.0.1/${TALLY_METRICS_PORT}", "GET /health/ready");
        assertThat(DeployFiles.read("docker/service.Dockerfile")).contains("EXPOSE 8080", "TALLY_API_PORT=8080",
                "/dev/tcp/127.0.0.1/${TALLY_API_PORT}", "GET /health/ready");
    }

    @Test
    void images_runTheJarWithTheDocumentedCommand_andAHeapWithinTheContainerLimit() {
        for (String[] image : List.of(new String[] {"processor.Dockerfile", "processor"},
                new String[] {"service.Dockerfile", "serve"})) {
            String file = DeployFiles.read("docker/" + image[0]);
            Matcher entry = Pattern.compile("ENTRYPOINT \\[(.*?)\\]", Pattern.DOTALL).matcher(file);
            assertThat(entry.find()).as(image[0]).isTrue();
            String argv = entry.group(1).replaceAll("\\\\\\s*\\n\\s*", " ");
            assertThat(argv).as(image[0]).startsWith("\"java\"")
                    .endsWith("\"-jar\", \"/app/tally.jar\", \"" + image[1] + "\"")
                    .contains("\"-XX:+ExitOnOutOfMemoryError\"");
            Matcher percent = Pattern.compile("-XX:MaxRAMPercentage=(\\d+)").matcher(argv);
            assertThat(percent.find()).as("%s sizes the heap from the container limit", image[0]).isTrue();
            assertThat(Integer.parseInt(percent.group(1))).as(image[0]).isBetween(25, 75);
            assertThat(file).as(image[0]).contains("USER 10001:10001");
            // the subcommand the README documents (tally processor, tally serve)
            assertThat(DeployFiles.read("../README.md")).contains("./tally " + image[1] + " ");
        }
    }

    @Test
    void dockerignore_excludesNothingTheBuildStageCopies() {
        for (String image : List.of("processor.Dockerfile", "service.Dockerfile")) {
            List<String> ignored = DeployFiles.read("docker/" + image + ".dockerignore").lines().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
            List<String> copied = DeployFiles.read("docker/" + image).lines().map(String::strip)
                    .filter(l -> l.startsWith("COPY ") && !l.contains("--from=")).map(l -> l.split("\\s+")[1]).toList();
            assertThat(copied).as(image).contains("pom.xml", "common", "app");
            for (String source : copied) {
                for (String pattern : ignored) {
                    // the patterns are plain paths or **/name; none may be a copied path or one of its folders
                    String path = pattern.startsWith("**/") ? pattern.substring(3) : pattern;
                    assertThat(source.equals(path) || source.startsWith(path + "/"))
                            .as("%s copies %s, which its .dockerignore excludes (%s)", image, source, pattern).isFalse();
                }
            }
        }
    }

    @Test
    void kubernetesTallyPods_runAsTheAclUsersOfTheirRole_whoseLinesAreThoseOfOperationsMd() {
        assertThat(redisUrl("tally-processor")).startsWith("redis://tally-processor@");
        assertThat(redisUrl("tally-service")).startsWith("redis://tally-producer@");
        String operations = DeployFiles.read("../docs/operations.md");
        String script = redisContainer().path("command").get(2).asText();
        for (String user : List.of("tally-producer", "tally-processor")) {
            Matcher documented = Pattern.compile("^ACL SETUSER " + user + " reset on >CHANGE_ME (.+)$", Pattern.MULTILINE)
                    .matcher(operations);
            assertThat(documented.find()).as("operations.md has the line of %s", user).isTrue();
            Matcher deployed = Pattern.compile("^\\s*user " + user + " reset on \\$\\(q \">\\$[A-Z_]+\"\\) (.+)$",
                    Pattern.MULTILINE).matcher(script);
            assertThat(deployed.find()).as("10-redis.yaml creates %s", user).isTrue();
            assertThat(deployed.group(1).strip()).as(user).isEqualTo(documented.group(1).strip());
        }
    }

    @Test
    void redis_runsWithNoevictionAMaxmemoryAndAnAppendOnlyFileSyncedEverySecond() {
        List<String> settings = new ArrayList<>();
        DeployFiles.compose().path("services").path("redis").path("command").forEach(a -> settings.add(a.asText()));
        String compose = String.join(" ", settings);
        String k8s = redisContainer().path("command").get(2).asText();
        for (String redis : List.of(compose, k8s)) {
            assertThat(redis).contains("--maxmemory-policy noeviction", "--appendonly yes", "--appendfsync everysec")
                    .containsPattern("--maxmemory \\d+mb");
        }
        // the limit leaves Redis room beyond maxmemory (buffers, AOF rewrite)
        JsonNode limits = redisContainer().path("resources").path("limits");
        Matcher max = Pattern.compile("--maxmemory (\\d+)mb").matcher(k8s);
        assertThat(max.find()).isTrue();
        assertThat(Integer.parseInt(max.group(1))).isLessThan(mebibytes(limits.path("memory").asText()));
    }

    private static void assertPorts(String deployment, int configured) {
        JsonNode pod = DeployFiles.k8sObject(docs, "Deployment", deployment).path("spec").path("template");
        JsonNode c = pod.path("spec").path("containers").get(0);
        JsonNode port = c.path("ports").get(0);
        assertThat(port.path("containerPort").asInt()).as(deployment).isEqualTo(configured);
        for (String probe : List.of("readinessProbe", "livenessProbe")) {
            assertThat(c.path(probe).path("httpGet").path("port").asText()).as("%s %s", deployment, probe)
                    .isIn(port.path("name").asText(), String.valueOf(configured));
        }
        assertThat(pod.path("metadata").path("annotations").path("prometheus.io/port").asInt()).as(deployment)
                .isEqualTo(configured);
        assertThat(pod.path("metadata").path("annotations").path("prometheus.io/path").asText()).isEqualTo("/metrics");
    }

    private static String redisUrl(String deployment) {
        for (JsonNode e : DeployFiles.k8sObject(docs, "Deployment", deployment).path("spec").path("template")
                .path("spec").path("containers").get(0).path("env")) {
            if (e.path("name").asText().equals(TallyConfig.REDIS_URL.env())) {
                return e.path("value").asText();
            }
        }
        throw new AssertionError(deployment + " sets no " + TallyConfig.REDIS_URL.env());
    }

    private static JsonNode redisContainer() {
        return DeployFiles.k8sObject(docs, "StatefulSet", "redis").path("spec").path("template").path("spec")
                .path("containers").get(0);
    }

    private static int mebibytes(String quantity) {
        if (quantity.endsWith("Gi")) {
            return Integer.parseInt(quantity.substring(0, quantity.length() - 2)) * 1024;
        }
        assertThat(quantity).endsWith("Mi");
        return Integer.parseInt(quantity.substring(0, quantity.length() - 2));
    }
}
