package io.tally.it.deploy;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code promtool check config} and {@code check rules} accept deploy/prometheus, and the alert rules pass
 * their unit tests ({@code alerts_test.yml}).
 */
class PromtoolCheckTest {

    @Test
    void alertRules_passPromtool() {
        DeployFiles.Result r = promtool("check", "rules", "alerts.yml");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS: 11 rules found");
    }

    @Test
    void alertRules_passTheirUnitTests() {
        DeployFiles.Result r = promtool("test", "rules", "alerts_test.yml");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
    }

    @Test
    void composeScrapeConfig_passesPromtool() {
        DeployFiles.Result r = promtool("check", "config", "prometheus.yml");
        assertThat(r.exitCode()).as(r.output()).isZero();
    }

    @Test
    void kubernetesScrapeConfig_passesPromtool() {
        DeployFiles.Result r = promtool("check", "config", "prometheus-k8s.yml");
        // Debian builds Prometheus without some service discoveries, Kubernetes' among them.
        Assumptions.assumeFalse(r.output().contains("field kubernetes_sd_configs not found"),
                "this promtool was built without Kubernetes service discovery; prometheus-k8s.yml not checked");
        assertThat(r.exitCode()).as(r.output()).isZero();
    }

    private static DeployFiles.Result promtool(String... args) {
        Path promtool = DeployFiles.tool("promtool", "prometheus");
        String[] command = new String[args.length + 1];
        command[0] = promtool.toString();
        System.arraycopy(args, 0, command, 1, args.length);
        return DeployFiles.run(DeployFiles.file("prometheus"), command);
    }
}
