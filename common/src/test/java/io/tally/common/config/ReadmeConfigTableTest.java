package io.tally.common.config;

import io.tally.common.internal.config.ConfigDoc;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's configuration table is generated from the code; this keeps the two in step. */
class ReadmeConfigTableTest {

    @Test
    void readmeTableMatchesTheConfigurationKeys() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int start = readme.indexOf("<!-- config-table:start -->\n");
        int end = readme.indexOf("<!-- config-table:end -->");
        assertThat(start).as("README has the config-table markers").isNotNegative();
        String table = readme.substring(start + "<!-- config-table:start -->\n".length(), end);
        assertThat(table)
                .as("README configuration table is stale; regenerate it with: "
                        + "java -cp common/target/classes io.tally.common.internal.config.ConfigDoc")
                .isEqualTo(ConfigDoc.markdownTable());
    }
}
