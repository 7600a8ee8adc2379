package io.tally.producer.internal.read;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.producer.read.CounterPage;
import io.tally.producer.read.Topic;
import io.tally.producer.read.UnreadableCounter;
import io.tally.producer.read.UnreadableStateException;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.ByteArrayCodec;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The reader never guesses a number from a value another program stored: it throws
 * {@link UnreadableStateException} naming the counter and the key, where {@code Long.parseLong} read {@code 007}
 * as 7 and a checkpoint that is not a stream id was blamed on the caller's entry id.
 */
@ExtendWith(RealRedisExtension.class)
class UnreadableStateReaderTest {
    private static final int PARTITIONS = 2;

    private static RedissonClient redis;
    private static RedisTallyReader reader;
    private static Keys keys;

    @BeforeAll
    static void open(TestRedis testRedis) {
        TallyConfig config = testRedis.config(PARTITIONS).build();
        redis = testRedis.client();
        reader = RedisTallyReader.open(redis, config);
        keys = Namespace.keys(redis, config.namespace());
    }

    @AfterAll
    static void close() {
        redis.shutdown();
    }

    @Test
    void aValueWithLeadingZeros_isUnreadable_notSeven() {
        String key = keys.counters(reader.partitionOf("padded"));
        redis.getMap(key, StringCodec.INSTANCE).put("padded", "007");

        assertThatThrownBy(() -> reader.counter("padded")).isInstanceOfSatisfying(UnreadableStateException.class, e -> {
            assertThat(e.counter()).contains("padded");
            assertThat(e.key()).isEqualTo(key);
            assertThat(e.getMessage()).contains("'007'").contains(key);
        });
        assertThatThrownBy(() -> reader.counters("padd", 10)).isInstanceOf(UnreadableStateException.class);
    }

    @Test
    void aPageOfReadableAndUnreadableValues_listsBoth_apart_andTheCursorWalksEveryCounter() {
        Map<String, String> stored = new TreeMap<>();
        for (int i = 0; i < 30; i++) {
            stored.put(String.format("mix-%02d", i), Long.toString(i * 1_000_000_007L - 9_000_000_000L));
        }
        stored.put("mix-max", "9223372036854775807");
        String[] foreign = {"007", "-0", "+5", "text", "9223372036854775808", "bad\u001b]0;title\u0007"};
        for (int i = 0; i < foreign.length; i++) {
            stored.put("mix-bad-" + i, foreign[i]);
        }
        stored.forEach((name, value) -> redis.getMap(keys.counters(reader.partitionOf(name)), StringCodec.INSTANCE)
                .put(name, value));

        Map<String, Long> values = new TreeMap<>();
        Map<String, UnreadableCounter> unreadable = new TreeMap<>();
        int pages = 0;
        String cursor = null;
        do {
            CounterPage page = reader.counterPage("mix-", cursor, 4);
            // each partition's hash is a listpack here, which HSCAN returns whole: a page holds a few of them
            assertThat(page.counters().size() + page.unreadable().size()).isLessThanOrEqualTo(stored.size());
            page.counters().forEach(c -> assertThat(values.put(c.name(), c.value())).as(c.name()).isNull());
            page.unreadable().forEach(u -> assertThat(unreadable.put(u.name(), u)).as(u.name()).isNull());
            cursor = page.cursor();
            pages++;
        } while (cursor != null && pages < 100);

        assertThat(pages).as("pages").isGreaterThan(1).isLessThan(100);
        Map<String, Long> expected = new TreeMap<>();
        stored.forEach((name, value) -> {
            if (!name.startsWith("mix-bad-")) {
                expected.put(name, Long.parseLong(value));
            }
        });
        assertThat(values).isEqualTo(expected);
        assertThat(unreadable.keySet()).containsExactlyElementsOf(
                IntStream.range(0, foreign.length).mapToObj(i -> "mix-bad-" + i).toList());
        for (int i = 0; i < foreign.length; i++) {
            String name = "mix-bad-" + i;
            UnreadableCounter u = unreadable.get(name);
            assertThat(u.partition()).isEqualTo(reader.partitionOf(name));
            assertThat(u.key()).isEqualTo(keys.counters(reader.partitionOf(name)));
            assertThat(u.detail()).isEqualTo(new UnreadableStateException(name, u.key(), "its value '"
                    + UnreadableStateException.shown(foreign[i]) + "' is not a canonical signed 64-bit integer", null)
                    .getMessage());
        }
        assertThat(unreadable.get("mix-bad-5").detail()).doesNotContain("\u001b").contains("\\u001b");
    }

    @Test
    void aCheckpointThatIsNotAStreamId_isUnreadable_notTheCallersIdAtFault() {
        String key = keys.checkpoint(1);
        redis.getMap(key, StringCodec.INSTANCE).put("ops", "garbage");
        try {
            assertThatThrownBy(() -> reader.isApplied(1, Topic.OPS, "1-0"))
                    .isInstanceOfSatisfying(UnreadableStateException.class, e -> {
                        assertThat(e.counter()).isEmpty();
                        assertThat(e.key()).isEqualTo(key);
                        assertThat(e.getMessage()).contains("ops checkpoint 'garbage'");
                    });
            assertThatThrownBy(() -> reader.awaitApplied(1, Topic.OPS, "1-0", Duration.ofMillis(100)))
                    .isInstanceOf(UnreadableStateException.class);
            assertThatThrownBy(() -> reader.checkpointAsync(1, Topic.OPS).toCompletableFuture().join())
                    .hasCauseInstanceOf(UnreadableStateException.class);
        } finally {
            redis.getMap(key, StringCodec.INSTANCE).remove("ops");
        }
    }

    @Test
    void keysOfAnotherType_areUnreadable_namingTheKey() {
        String counters = keys.counters(0);
        String checkpoint = keys.checkpoint(0);
        redis.getBucket(counters, StringCodec.INSTANCE).set("a string");
        redis.getBucket(checkpoint, StringCodec.INSTANCE).set("a string");
        try {
            for (Runnable read : new Runnable[] {() -> reader.counters(null, 10), () -> reader.counterPage(null, null, 10),
                    () -> reader.checkpoint(0, Topic.OPS)}) {
                assertThatThrownBy(read::run).isInstanceOfSatisfying(UnreadableStateException.class,
                        e -> assertThat(e.getMessage()).contains("is not a hash"));
            }
            assertThatThrownBy(() -> reader.checkpointAsync(0, Topic.OPS).toCompletableFuture().join())
                    .hasCauseInstanceOf(UnreadableStateException.class);
        } finally {
            redis.getBucket(counters).delete();
            redis.getBucket(checkpoint).delete();
        }
    }

    @Test
    void aSeriesBucketPastTwoToThe63_isUnreadable_andAUniqueCountHeldAsText_too() {
        long start = 1_800_000_000_000L / 60_000 * 60_000;
        int p = reader.partitionOf("big");
        redis.getMap(keys.seriesBucket(p, "1m", start), StringCodec.INSTANCE).put("big", "9223372036854775808");
        redis.getBucket(keys.hll(p, "big"), StringCodec.INSTANCE).set("text");

        assertThatThrownBy(() -> reader.series("big", "1m", start, start + 60_000))
                .isInstanceOfSatisfying(UnreadableStateException.class,
                        e -> assertThat(e.key()).isEqualTo(keys.seriesBucket(p, "1m", start)));
        assertThatThrownBy(() -> reader.unique("big")).isInstanceOfSatisfying(UnreadableStateException.class,
                e -> assertThat(e.key()).isEqualTo(keys.hll(p, "big")));
        assertThatThrownBy(() -> reader.uniqueIfPresent("big")).isInstanceOf(UnreadableStateException.class);
    }

    @Test
    void aUnionAcrossPartitions_namesTheCounterWhoseHyperLogLogIsCorrupt_orNotOne() {
        String good = "u-good";
        String bad = "u-bad";
        for (int i = 0; reader.partitionOf(bad) == reader.partitionOf(good); i++) {
            bad = "u-bad-" + i; // a union across partitions: merged by the reader
        }
        redis.getHyperLogLog(keys.hll(reader.partitionOf(good), good), StringCodec.INSTANCE).add("alice");
        String badKey = keys.hll(reader.partitionOf(bad), bad);
        // sparse HyperLogLog header, then XZERO 16384 and ZERO 1: one register more than there are
        byte[] overrun = new byte[] {'H', 'Y', 'L', 'L', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0x80, 0x7f, (byte) 0xff, 0};
        redis.getBucket(badKey, ByteArrayCodec.INSTANCE).set(overrun);
        String badCounter = bad;

        assertThatThrownBy(() -> reader.uniqueUnion(List.of(good, badCounter)))
                .isInstanceOfSatisfying(UnreadableStateException.class, e -> {
                    assertThat(e.counter()).contains(badCounter);
                    assertThat(e.key()).isEqualTo(badKey);
                })
                .hasMessageContaining("its HyperLogLog is corrupt");

        overrun[3] = 'X';
        redis.getBucket(badKey, ByteArrayCodec.INSTANCE).set(overrun);
        assertThatThrownBy(() -> reader.uniqueUnion(List.of(good, badCounter)))
                .isInstanceOfSatisfying(UnreadableStateException.class, e -> assertThat(e.key()).isEqualTo(badKey))
                .hasMessageContaining("the key is not a HyperLogLog");
        redis.getBucket(badKey).delete();
        assertThat(reader.uniqueUnion(List.of(good, badCounter))).isEqualTo(1);
    }
}
