package io.tally.app.cli;

import io.tally.app.cli.TallyCliTest.Run;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What {@code tally} does before any subcommand runs, and what a processor checks before it joins. */
@Timeout(60)
class TallyMainUsageTest {

    @Test
    void noSubcommand_printsUsageAndExits2() {
        Run r = RedisErrorMessagesTest.tally(Map.of());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("Usage: tally [-hV] [COMMAND]").contains("processor").contains("incr");
    }

    @Test
    void optionsWithoutSubcommand_pointToTallyProcessorAndExit2() {
        Run r = RedisErrorMessagesTest.tally(Map.of(), "--redis-url", "redis://10.0.0.5:6379");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("tally: no subcommand given before --redis-url; to run a processor: "
                + "tally processor --redis-url redis://10.0.0.5:6379" + System.lineSeparator() + "Usage: tally");
    }

    @Test
    void optionsWithoutSubcommand_neverEchoAPassword() {
        Run r = RedisErrorMessagesTest.tally(Map.of(), "--redis-url", "redis://app:s3cret-url-pw@10.0.0.5:6379",
                "--redis-password", "s3cret-flag-pw", "--api-token=s3cret-token");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("tally: no subcommand given before --redis-url; to run a processor: "
                        + "tally processor --redis-url redis://app:***@10.0.0.5:6379 --redis-password *** --api-token=***")
                .doesNotContain("s3cret");
    }

    @Test
    void metricsPortInUse_exits2BeforeWritingToRedis() throws IOException {
        RedisServer.requireAvailable();
        try (RedisServer redis = RedisServer.start(); ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("0.0.0.0", 0));
            int port = taken.getLocalPort();
            Run r = RedisErrorMessagesTest.tally(Map.of(), "processor", "--redis-url", redis.url(),
                    "--namespace", "porttest", "--metrics-port", Integer.toString(port));
            assertThat(r.code()).as(r.err()).isEqualTo(2);
            assertThat(r.err()).isEqualTo("tally processor: port " + port + " on 0.0.0.0 is in use; set --metrics-port / "
                    + "TALLY_METRICS_PORT (0: any free port)" + System.lineSeparator());
            assertThat(redis.cli("DBSIZE")).isEqualTo("0");
        }
    }
}
