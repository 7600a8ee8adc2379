package io.tally.common;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TallyVersionTest {

    @Test
    void current_isTheProjectVersionMavenFilteredIn() {
        String projectVersion = System.getProperty("tally.project.version");
        assertThat(projectVersion).as("surefire's systemPropertyVariables").isNotBlank().doesNotContain("${");
        assertThat(TallyVersion.current()).isEqualTo(projectVersion);
    }
}
