package io.tally.app.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code tally --version} prints the version of the build (surefire passes the pom's version in). */
class TallyVersionCliTest {

    @Test
    void version_printsTheProjectVersionOfThisBuild() {
        String projectVersion = System.getProperty("tally.project.version");
        assertThat(projectVersion).as("surefire's systemPropertyVariables").isNotBlank().doesNotContain("${");
        for (String flag : new String[] {"--version", "-V"}) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = TallyMain.run(new String[] {flag}, Map.of(), new PrintWriter(out, true), new PrintWriter(err, true));
            assertThat(code).as(err.toString()).isZero();
            assertThat(out.toString().strip()).isEqualTo("tally " + projectVersion);
        }
    }
}
