package io.tally.it.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code promtool check config} and {@code check rules} accept deploy/prometheus, and the alert rules pass
 * their unit tests ({@code alerts_test.yml}).
 */
class PromtoolCheckTest {
    private static final Pattern SD_KEY = Pattern.compile("^(\\s*)kubernetes_sd_configs:\\s*$");

    @Test
    void alertRules_passPromtool() {
        DeployFiles.Result r = promtool(DeployFiles.file("prometheus"), "check", "rules", "alerts.yml");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS: 11 rules found");
    }

    @Test
    void alertRules_passTheirUnitTests() {
        DeployFiles.Result r = promtool(DeployFiles.file("prometheus"), "test", "rules", "alerts_test.yml");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
    }

    @Test
    void composeScrapeConfig_passesPromtool() {
        DeployFiles.Result r = promtool(DeployFiles.file("prometheus"), "check", "config", "prometheus.yml");
        assertThat(r.exitCode()).as(r.output()).isZero();
    }

    /**
     * Debian builds Prometheus without some service discoveries, Kubernetes' among them. With such a
     * promtool the file is checked with its {@code kubernetes_sd_configs} swapped for empty static
     * targets (everything else still goes through promtool), and the discovery itself is checked here:
     * pods (the relabelling reads pod labels) of the namespace deploy/k8s uses.
     */
    @Test
    void kubernetesScrapeConfig_passesPromtool(@TempDir Path tmp) throws IOException {
        DeployFiles.Result r = promtool(DeployFiles.file("prometheus"), "check", "config", "prometheus-k8s.yml");
        if (r.output().contains("field kubernetes_sd_configs not found")) {
            System.out.println("this promtool has no Kubernetes service discovery: prometheus-k8s.yml is checked with "
                    + "static targets in its place, and its discovery by this test");
            Path source = DeployFiles.file("prometheus/prometheus-k8s.yml");
            Files.writeString(tmp.resolve("prometheus-k8s.yml"), withStaticTargets(Files.readString(source)));
            Files.copy(DeployFiles.file("prometheus/alerts.yml"), tmp.resolve("alerts.yml"));
            r = promtool(tmp, "check", "config", "prometheus-k8s.yml");
            assertKubernetesDiscoveryOfTallyPods(new YAMLMapper().readTree(source.toFile()));
        }
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS: 1 rule files found");
    }

    private static void assertKubernetesDiscoveryOfTallyPods(JsonNode config) {
        List<JsonNode> discoveries = new ArrayList<>();
        config.path("scrape_configs").forEach(job -> job.path("kubernetes_sd_configs").forEach(discoveries::add));
        assertThat(discoveries).as("kubernetes_sd_configs of prometheus-k8s.yml").isNotEmpty().allSatisfy(sd -> {
            assertThat(sd.path("role").asText()).isEqualTo("pod");
            assertThat(sd.path("namespaces").path("names").toString()).isEqualTo("[\"tally\"]");
        });
    }

    /** The YAML with each {@code kubernetes_sd_configs} block replaced by empty static targets. */
    static String withStaticTargets(String yaml) {
        List<String> out = new ArrayList<>();
        String[] lines = yaml.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher m = SD_KEY.matcher(lines[i]);
            if (!m.matches()) {
                out.add(lines[i]);
                continue;
            }
            int indent = m.group(1).length();
            out.add(m.group(1) + "static_configs: [{targets: []}]");
            while (i + 1 < lines.length && (lines[i + 1].isBlank() || indentOf(lines[i + 1]) > indent)) {
                i++;
            }
        }
        return String.join("\n", out);
    }

    private static int indentOf(String line) {
        return line.length() - line.stripLeading().length();
    }

    private static DeployFiles.Result promtool(Path dir, String... args) {
        Path promtool = DeployFiles.tool("promtool", "prometheus");
        String[] command = new String[args.length + 1];
        command[0] = promtool.toString();
        System.arraycopy(args, 0, command, 1, args.length);
        return DeployFiles.run(dir, command);
    }
}
