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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code tally get}, {@code tally counters} and {@code tally series} on a value another program stored in a form
 * Tally cannot read ({@code 007}, text): one line naming the counter, the value and the key, exit 1; never a
 * number guessed from the text, never a usage error blaming an option the user did not give.
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
    void countersMeetingAValueNotANumber_failsNamingIt_notTheCursor() {
        store("text-value", "many");

        TallyCliTest.Run list = tally("counters", "--prefix", "text-");

        assertThat(list.code()).as(list.err()).isEqualTo(1);
        assertThat(list.err().lines().toList()).hasSize(1);
        assertThat(list.err()).contains("counter 'text-value'").contains("'many'").doesNotContain("--cursor")
                .doesNotContain("For input string");
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
