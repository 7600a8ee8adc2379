package io.tally.app.cli;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.internal.redis.Namespace;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code tally get}, {@code tally counters} and {@code tally series} on a value another program stored in a form
 * Tally cannot read ({@code 007}, text): one line naming the counter, the value and the key, exit 1; never a
 * number guessed from the text, never a usage error blaming an option the user did not give. The listing prints
 * every other counter first: one such value hides none.
 */
@ExtendWith(RealRedisExtension.class)
class CounterReadForeignStateCliTest {
    private static final int PARTITIONS = 2;

    private static String url;
    private static String namespace;
    private static RedissonClient redis;
    private static Keys keys;

    @BeforeAll
    static void start(TestRedis testRedis) {
        TallyConfig config = testRedis.config(PARTITIONS).build();
        url = testRedis.url();
        namespace = config.namespace();
        redis = testRedis.client();
        Namespace.create(redis, config);
        keys = Namespace.keys(redis, namespace);
    }

    @AfterAll
    static void close() {
        redis.shutdown();
    }

    @Test
    void getOfAValueWithLeadingZeros_failsInOneLineNamingIt_insteadOfPrinting7() {
        store("padded", "007");

        TallyCliTest.Run get = tally("get", "padded");

        assertThat(get.code()).as(get.out() + get.err()).isEqualTo(1);
        assertThat(get.out()).isEmpty();
        assertThat(get.err().lines().toList()).hasSize(1);
        assertThat(get.err()).contains("counter 'padded'").contains("'007'").contains(keys.counters(partitionOf("padded")))
                .doesNotContain("Exception");
    }

    @Test
    void countersMeetingValuesNotNumbers_listsEveryOtherCounter_thenOneLineForEach_andExits1() {
        Map<String, String> readable = new TreeMap<>();
        for (int i = 0; i < 12; i++) {
            readable.put("walk-" + i, Long.toString(9_223_372_036_854_775_807L - i));
        }
        readable.forEach(CounterReadForeignStateCliTest::store);
        String[] foreign = {"many", "007", "\u001b]0;title\u0007"};
        for (int i = 0; i < foreign.length; i++) {
            store("walk-bad-" + i, foreign[i]);
        }

        TallyCliTest.Run all = tally("counters", "--prefix", "walk-", "--limit", "3", "--all");

        assertThat(all.code()).as(all.err()).isEqualTo(1);
        Map<String, String> printed = new TreeMap<>();
        all.out().lines().forEach(row -> printed.put(row.split("\\s+")[0], row.split("\\s+")[1]));
        assertThat(printed).isEqualTo(readable);
        List<String> errors = all.err().lines().sorted().toList();
        assertThat(errors).hasSize(foreign.length);
        for (int i = 0; i < foreign.length; i++) {
            String name = "walk-bad-" + i;
            assertThat(errors.get(i)).startsWith("tally counters: counter '" + name + "': its value '")
                    .contains(keys.counters(partitionOf(name))).doesNotContain("--cursor");
            assertThat(errors.get(i)).as("the line tally get prints for it alone")
                    .isEqualTo(tally("get", name).err().strip().replace("tally get: ", "tally counters: "));
        }
        assertThat(errors.get(0)).contains("'many'");
        assertThat(errors.get(2)).doesNotContain("\u001b").doesNotContain("\u0007");

        List<String> followed = new ArrayList<>();
        List<String> next = new ArrayList<>(List.of("counters", "--prefix", "walk-", "--limit", "3"));
        int failed = 0;
        for (int pages = 0; next != null && pages < 50; pages++) {
            TallyCliTest.Run page = tally(next.toArray(String[]::new));
            List<String> more = page.err().lines().filter(l -> l.startsWith("more: ")).toList();
            long unreadable = page.err().lines().filter(l -> l.startsWith("tally counters: counter ")).count();
            assertThat(page.code()).as(page.err()).isEqualTo(unreadable > 0 ? 1 : 0);
            failed += (int) unreadable;
            page.out().lines().filter(l -> !l.startsWith("no ")).forEach(l -> followed.add(l.split("\\s+")[0]));
            next = more.isEmpty() ? null : new ArrayList<>(List.of("counters"));
            if (next != null) {
                next.addAll(List.of(more.get(0).substring("more: tally counters ".length()).split(" ")));
            }
        }
        assertThat(next).as("the listing ended").isNull();
        assertThat(followed).containsExactlyInAnyOrderElementsOf(readable.keySet());
        assertThat(failed).isEqualTo(foreign.length);
    }

    @Test
    void uniqueOfMoreCountersThanAUnionCounts_isAUsageError_beforeAnyRead() {
        List<String> args = new ArrayList<>(List.of("unique"));
        for (int i = 0; i <= 5_000; i++) {
            args.add("u" + i);
        }

        TallyCliTest.Run unique = tally(args.toArray(String[]::new));

        assertThat(unique.code()).as(unique.err()).isEqualTo(2);
        assertThat(unique.err().lines().toList()).hasSize(1);
        assertThat(unique.err()).contains("5001 counters").contains("at most 5000");
    }

    private static void store(String name, String value) {
        redis.getMap(keys.counters(partitionOf(name)), StringCodec.INSTANCE).put(name, value);
    }

    private static int partitionOf(String name) {
        return new Partitioner(PARTITIONS).partitionOf(name);
    }

    private static TallyCliTest.Run tally(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--redis-url", url, "--namespace", namespace));
        return TallyCliTest.run(all.toArray(String[]::new));
    }
}
