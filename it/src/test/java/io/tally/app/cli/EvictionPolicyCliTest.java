package io.tally.app.cli;

import io.tally.app.cli.TallyCliTest.Run;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Redis that may evict keys, met at the door: commands that write (and {@code tally serve}) refuse with
 * exit 2 before writing, commands that only read warn and go on.
 */
@Timeout(120)
class EvictionPolicyCliTest {
    private static RedisServer redis;

    @BeforeAll
    static void start() {
        RedisServer.requireAvailable();
        redis = RedisServer.start();
        assertThat(tally("init", "--partitions", "2").code()).isZero();
        redis.cli("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
    }

    @AfterAll
    static void stop() {
        redis.close();
    }

    @Test
    void commandsThatWrite_refuseWithExit2_beforeWritingAnything() {
        String keys = redis.cli("DBSIZE");
        for (List<String> write : List.of(List.of("incr", "c"), List.of("unique-add", "c", "m"), List.of("emit", "click"),
                List.of("trigger", "add", "--in", "1h"), List.of("dlq", "purge", "--all"), List.of("delete", "c"),
                List.of("init"), List.of("serve", "--insecure", "--port", "0"))) {
            Run r = tally(write.toArray(String[]::new));
            String name = "tally " + write.get(0) + (write.get(0).equals("trigger") || write.get(0).equals("dlq")
                    ? " " + write.get(1) : "");
            assertThat(r.code()).as(name + ": " + r.err()).isEqualTo(2);
            assertThat(r.err()).as(name).startsWith(name + ": Redis at ").contains("runs with maxmemory-policy allkeys-lru")
                    .contains("Nothing was written").contains("CONFIG SET maxmemory-policy noeviction");
        }
        assertThat(redis.cli("DBSIZE")).isEqualTo(keys);
    }

    @Test
    void commandsThatRead_warnAndGoOn() {
        Run status = tally("status");
        assertThat(status.code()).as(status.err()).isZero();
        assertThat(status.out()).contains("NAMESPACE tally");
        assertThat(status.err()).startsWith("tally status: warning: Redis at ")
                .contains("runs with maxmemory-policy allkeys-lru; Tally needs noeviction");
        Run get = tally("get", "c");
        assertThat(get.code()).isEqualTo(3);
        assertThat(get.err()).contains("tally get: warning: ").contains("does not exist");
    }

    private static Run tally(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--redis-url", redis.url()));
        return TallyCliTest.run(all.toArray(String[]::new));
    }
}
