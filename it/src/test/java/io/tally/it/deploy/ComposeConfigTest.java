package io.tally.it.deploy;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code docker-compose config} accepts deploy/compose/docker-compose.yml. */
class ComposeConfigTest {

    @Test
    void composeFile_isAcceptedByDockerCompose() {
        Path compose = DeployFiles.tool("docker-compose", "docker-compose");
        DeployFiles.Result version = DeployFiles.run(DeployFiles.file("compose"), compose.toString(), "version");
        assertThat(version.exitCode()).as("docker-compose cannot run here: " + version.output()).isZero();

        DeployFiles.Result r = DeployFiles.run(DeployFiles.file("compose"), compose.toString(),
                "-f", "docker-compose.yml", "config");

        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("redis:", "service:", "processor:", "prometheus:", "grafana:", "redis-exporter:")
                .contains("appendonly").contains("noeviction");
    }
}
