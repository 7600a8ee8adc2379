package io.tally.producer.internal.read;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.producer.read.Topic;
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
        assertThatThrownBy(() -> reader.counterPage("padd", null, 10)).isInstanceOf(UnreadableStateException.class);
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
