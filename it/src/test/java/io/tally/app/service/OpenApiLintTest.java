package io.tally.app.service;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The OpenAPI document the service serves passes Redocly's {@code recommended} ruleset without an error or
 * a warning and Spectral's {@code spectral:oas} without a warning. Both linters come from the npm registry
 * through {@code npx} at pinned versions (Redocly 1.x runs on Debian's Node.js 18); without {@code npx} the
 * test fails, naming what to install ({@code .ci/run} installs nodejs and npm).
 */
@Tag("slow")
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class OpenApiLintTest {
    static final String REDOCLY = "@redocly/cli@1.34.5";
    static final String SPECTRAL = "@stoplight/spectral-cli@6.16.3";

    @TempDir
    static Path dir;
    private static Path document;

    @BeforeAll
    static void writeTheDocument() throws IOException {
        document = dir.resolve("openapi.json");
        Files.write(document, OpenApiRoutes.load());
        try (InputStream ruleset = OpenApiLintTest.class.getResourceAsStream("/openapi/spectral.yaml")) {
            assertThat(ruleset).as("test resource openapi/spectral.yaml").isNotNull();
            Files.write(dir.resolve(".spectral.yaml"), ruleset.readAllBytes());
        }
        Result version = run(List.of("npx", "--version"));
        if (version.code != 0) {
            fail("npx is needed to run the OpenAPI linters and did not run (" + version.output.strip() + "); install "
                    + "Node.js and npm (Debian: apt-get install nodejs npm; .ci/run does)");
        }
    }

    @Test
    void redoclyRecommended_findsNoErrorAndNoWarning() throws Exception {
        Result r = run(List.of("npx", "--yes", REDOCLY, "lint", "--extends=recommended", "--format=stylish",
                document.toString()));
        assertThat(r.code).as(r.output).isZero();
        assertThat(r.output).as(r.output).doesNotContainIgnoringCase("warning").doesNotContainIgnoringCase("error");
    }

    @Test
    void spectralOas_findsNoWarning() throws Exception {
        Result r = run(List.of("npx", "--yes", SPECTRAL, "lint", "--ruleset", dir.resolve(".spectral.yaml").toString(),
                "--fail-severity=warn", document.toString()));
        assertThat(r.code).as(r.output).isZero();
        assertThat(r.output).as(r.output).contains("No results with a severity of 'warn' or higher found");
    }

    private record Result(int code, String output) {
    }

    private static Result run(List<String> command) {
        try {
            Path log = Files.createTempFile(dir, "lint-", ".log");
            Process p = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                return new Result(-1, "timed out: " + String.join(" ", command));
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, String.join(" ", command) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }
}
