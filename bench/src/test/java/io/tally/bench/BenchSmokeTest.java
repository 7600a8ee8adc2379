package io.tally.bench;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs the whole benchmark command with tiny numbers against a redis-server it starts itself, so the
 * suite cannot rot. Only completion and exact counters are checked (the exit code says both); no
 * figure is asserted: performance figures come from the command, never from a test.
 */
@Tag("slow")
class BenchSmokeTest {

    @Test
    void everyScenarioCompletesAndVerifiesItsCounters() {
        assumeTrue(onPath("redis-server"), "redis-server is not on the PATH");
        int code = BenchMain.run("--runs", "1", "--scale", "0.005", "--lease-ttl-ms", "2000", "--rate", "5000");
        assertThat(code).as("bench exit code (0: every scenario completed with exact counters)").isZero();
    }

    private static boolean onPath(String command) {
        try {
            Process p = new ProcessBuilder(command, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
