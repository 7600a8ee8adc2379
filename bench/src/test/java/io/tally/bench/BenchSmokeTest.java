package io.tally.bench;

import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the whole benchmark command, every scenario (hostile too) but kafka, with tiny numbers against a
 * redis-server it starts itself, so the suite cannot rot. The kafka scenario's code and Kafka are in the
 * bench only when it is built with the kafka profile, which the build of the tests is not. Only completion and exact counters are checked (the exit code says both); no
 * figure is asserted: performance figures come from the command, never from a test.
 */
@Tag("slow")
class BenchSmokeTest {

    @Test
    void everyScenarioCompletesAndVerifiesItsCounters() {
        RedisServer.requireAvailable();
        int code = BenchMain.run("--runs", "1", "--scale", "0.005", "--lease-ttl-ms", "2000", "--rate", "5000",
                "--scenarios", String.join(",", BenchMain.ALL.stream().filter(s -> !s.equals("kafka")).toList()));
        assertThat(code).as("bench exit code (0: every scenario completed with exact counters)").isZero();
    }
}
