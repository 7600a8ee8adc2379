package io.tally.app.cli;

import io.tally.testkit.RawRedis;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every numeric option of every {@code tally} command refuses a value out of its range (negative, zero where
 * zero means nothing, past its type) as a usage error: exit 2, one line naming the option and what it takes,
 * and nothing written to Redis. {@code repair stream-ids --wait -5} ran with a negative wait, {@code verify
 * --timeout -1} and {@code incr --wait --timeout -5} sent and waited no time, {@code demo --port 70000} started.
 * The configuration flags are checked by the configuration itself (one row each shows it).
 */
class NumericOptionRangesTest {
    private static TestRedis redis;
    private static String namespace;
    private static Path expectFile;
    private static Set<String> keysBefore;

    @BeforeAll
    static void start() throws Exception {
        redis = TestRedis.ownServer();
        namespace = TestRedis.uniqueNamespace();
        TallyCliTest.Run init = TallyCliTest.run("init", "--partitions", "2", "--redis-url", redis.url(),
                "--namespace", namespace);
        assertThat(init.code()).as(init.err()).isZero();
        expectFile = Files.createTempFile("tally-expect", ".txt");
        Files.writeString(expectFile, "c 1\n");
        keysBefore = keys();
    }

    @AfterAll
    static void stop() throws Exception {
        Files.deleteIfExists(expectFile);
        redis.close();
    }

    static Stream<List<String>> outOfRange() {
        return Stream.of(
                // counter operations: --timeout of --wait, 1 to 86400 s
                List.of("--timeout", "incr", "c", "--wait", "--timeout", "-5"),
                List.of("--timeout", "incr", "c", "--wait", "--timeout", "0"),
                List.of("--timeout", "decr", "c", "--wait", "--timeout", "86401"),
                List.of("--timeout", "set", "c", "5", "--wait", "--timeout", "99999999999999999999"),
                List.of("--timeout", "reset", "c", "--wait", "--timeout", "-1"),
                List.of("--timeout", "unique-add", "c", "m", "--wait", "--timeout", "-1"),
                // listings
                List.of("--limit", "counters", "--limit", "0"),
                List.of("--limit", "counters", "--limit", "-1"),
                List.of("--limit", "counters", "--limit", "10001"),
                List.of("--limit", "counters", "--limit", "3000000000"),
                List.of("--limit", "firings", "--limit", "0"),
                List.of("--limit", "firings", "--limit", "-20"),
                List.of("--limit", "firings", "--limit", "2147483647"),
                List.of("--limit", "dlq", "list", "--limit", "0"),
                List.of("--limit", "dlq", "replay", "--limit", "-1"),
                List.of("--limit", "dlq", "purge", "--all", "--limit", "-1"),
                List.of("--partition", "dlq", "list", "--partition", "-1"),
                List.of("--partition", "dlq", "purge", "--partition", "99999999999"),
                // repair
                List.of("--wait", "repair", "stream-ids", "--partition", "0", "--yes", "--wait", "-5"),
                List.of("--wait", "repair", "stream-ids", "--partition", "0", "--yes", "--wait", "86401"),
                List.of("--partition", "repair", "stream-ids", "--partition", "-1", "--yes"),
                List.of("--partition", "repair", "stream-ids", "--partition", "16384", "--yes"),
                // verify
                List.of("--timeout", "verify", "--expect-file", expectFile.toString(), "--timeout", "-1"),
                List.of("--timeout", "verify", "--expect-file", expectFile.toString(), "--timeout", "9223372036854775807"),
                // loadgen
                List.of("--rate", "loadgen", "--rate", "0"),
                List.of("--rate", "loadgen", "--rate", "-100"),
                List.of("--duration", "loadgen", "--duration", "-1"),
                List.of("--duration", "loadgen", "--duration", "0"),
                List.of("--duration", "loadgen", "--duration", "NaN"),
                List.of("--counters", "loadgen", "--counters", "0"),
                List.of("--events", "loadgen", "--events", "-1"),
                List.of("--events", "loadgen", "--events", "101"),
                // demo (its own scenarios would write)
                List.of("--port", "demo", "--port", "-1"),
                List.of("--port", "demo", "--port", "65536"),
                List.of("--duration", "demo", "--duration", "-5"),
                // configuration flags: checked by the configuration (ConfigCatalogue's ranges), not again here
                List.of("--send-timeout-ms", "incr", "c", "--send-timeout-ms", "-5"),
                List.of("--partitions", "init", "--partitions", "-1"),
                List.of("--redis-timeout-ms", "counters", "--redis-timeout-ms", "0"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("outOfRange")
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a wait the value did not stop must not hang
    void aValueOutOfRange_isAUsageErrorNamingTheOption_andWritesNothing(List<String> row) {
        TallyCliTest.Run run = refusedWritingNothing(row);
        assertThat(run.err().lines().toList()).as(run.err()).hasSize(1);
        assertThat(run.err()).containsPattern("must be (from|between|above) ");
    }

    /**
     * Numbers given as text that a parser of their own reads (amounts, durations, times) were already refused
     * (exit 2, nothing written); these rows keep it so. An amount N is any signed 64-bit integer (wire format: a
     * negative or zero {@code by} is valid), so only one past 64 bits is out of range.
     */
    static Stream<List<String>> parsedOutOfRange() {
        return Stream.of(
                List.of("N", "decr", "c", "9223372036854775808"),
                List.of("N", "set", "c", "9223372036854775808"),
                List.of("--ts", "incr", "c", "--ts", "-1"),
                List.of("--last", "series", "c", "--window", "1m", "--last", "-1h"),
                List.of("--last", "series", "c", "--window", "1m", "--last", "0m"),
                List.of("'in'", "trigger", "add", "--in", "-5m"),
                List.of("'every'", "trigger", "add", "--at", "2030-01-01T00:00:00Z", "--every", "-1m"),
                List.of("'every'", "trigger", "add", "--at", "2030-01-01T00:00:00Z", "--every", "0"),
                List.of("--value", "trigger", "add", "--counter", "c", "--op", ">=", "--value", "9223372036854775808"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("parsedOutOfRange")
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aParsedNumberOutOfRange_isAUsageErrorNamingIt_andWritesNothing(List<String> row) {
        refusedWritingNothing(row);
    }

    /**
     * Runs the command of {@code row} (its first element the option it must name) and checks that it is a usage
     * error naming that option, with no stack trace, nothing on stdout, and no key written.
     */
    private static TallyCliTest.Run refusedWritingNothing(List<String> row) {
        String option = row.get(0);
        List<String> args = new ArrayList<>(row.subList(1, row.size()));
        args.addAll(List.of("--redis-url", redis.url(), "--namespace", namespace));

        TallyCliTest.Run run = TallyCliTest.run(args.toArray(String[]::new));

        assertThat(run.code()).as(run.out() + run.err()).isEqualTo(Cli.USAGE);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains(option).doesNotContain("\tat ");
        assertThat(keys()).as("keys of the Redis after " + args).isEqualTo(keysBefore);
        return run;
    }

    private static Set<String> keys() {
        try (RawRedis raw = new RawRedis(redis.url())) {
            return new TreeSet<>(raw.keys("*"));
        }
    }
}
