package io.tally.producer.internal;

import io.tally.common.config.HotPathConnection;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.model.CounterOp;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A producer whose clock is a whole dedupe window off names buckets Redis refuses (DEDUPEBUCKET, nothing
 * written); it learns Redis time from the refusal and sends again, so every send is acknowledged once,
 * written once, its repeats answered as duplicates, and no error reaches the caller; with producer sessions
 * and without, and for sends without an id that share the refused call; over the producer's own
 * connection and through Redisson (which leaves the refusal untyped until the producer types it).
 */
@ExtendWith(RealRedisExtension.class)
class DedupeClockSkewTest {

    @Test
    void aClockAWindowAhead_costsOneRefusedCall_inASession(TestRedis redis) throws Exception {
        sendsThroughASkewedClock(redis, HotPathConnection.DIRECT, true, 1);
    }

    @Test
    void aClockAWindowBehind_costsOneRefusedCall_withoutSessions(TestRedis redis) throws Exception {
        sendsThroughASkewedClock(redis, HotPathConnection.DIRECT, false, -1);
    }

    @Test
    void aClockAWindowAhead_costsOneRefusedCall_throughRedisson_inASession(TestRedis redis) throws Exception {
        sendsThroughASkewedClock(redis, HotPathConnection.REDISSON, true, 1);
    }

    @Test
    void aClockAWindowBehind_costsOneRefusedCall_throughRedisson_withoutSessions(TestRedis redis) throws Exception {
        sendsThroughASkewedClock(redis, HotPathConnection.REDISSON, false, -1);
    }

    private static void sendsThroughASkewedClock(TestRedis redis, HotPathConnection connection, boolean sessions,
                                                 int windows) throws Exception {
        TallyConfig config = redis.config(1).set(TallyConfig.PRODUCER_LINGER_MS, 100)
                .set(TallyConfig.PRODUCER_IDEMPOTENCE, sessions).set(TallyConfig.HOT_PATH_CONNECTION, connection).build();
        long window = config.get(TallyConfig.DEDUPE_WINDOW_MS);
        Keys keys = TestRedis.keys(config);
        try (RawRedis raw = new RawRedis(config.redisUrl())) {
            long refusedBefore = refusals(raw);
            List<CompletableFuture<SendResult>> first = new ArrayList<>();
            List<CompletableFuture<SendResult>> later = new ArrayList<>();
            try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
                clockOf(producer).skew(windows * window);
                // one call: ids, a repeat of one of them, and a send without an id
                first.add(producer.send(CounterOp.incr("a", 1).withId("x")));
                first.add(producer.send(CounterOp.incr("a", 2).withId("y")));
                first.add(producer.send(CounterOp.incr("a", 1).withId("x")));
                first.add(producer.send(CounterOp.incr("b", 5)));
                producer.flush();
                // later calls: the same ids again, and a new one
                later.add(producer.send(CounterOp.incr("a", 1).withId("x")));
                later.add(producer.send(CounterOp.incr("a", 2).withId("y")));
                later.add(producer.send(CounterOp.incr("a", 3).withId("z")));
                producer.flush();
                assertThat(raw.callText("CLIENT", "LIST").contains(" name=tally-producer "))
                        .as("the producer's own connection").isEqualTo(connection == HotPathConnection.DIRECT);
            }
            for (CompletableFuture<SendResult> f : first) {
                assertThat(f).as("no error reaches the caller").succeedsWithin(java.time.Duration.ofSeconds(10));
            }
            for (CompletableFuture<SendResult> f : later) {
                assertThat(f).as("no error reaches the caller").succeedsWithin(java.time.Duration.ofSeconds(10));
            }
            assertThat(first).extracting(f -> f.join().duplicate()).containsExactly(false, false, true, false);
            assertThat(later).extracting(f -> f.join().duplicate()).containsExactly(true, true, false);
            assertThat(first.get(2).join().entryId()).isEqualTo(first.get(0).join().entryId());
            assertThat(later.get(0).join().entryId()).isEqualTo(first.get(0).join().entryId());
            assertThat(later.get(1).join().entryId()).isEqualTo(first.get(1).join().entryId());
            // x, y, b and z: each written once
            assertThat(raw.callLong("XLEN", keys.ops(0))).isEqualTo(4);
            assertThat(refusals(raw)).as("the first call was refused (DEDUPEBUCKET) and sent again")
                    .isGreaterThan(refusedBefore);
            for (String id : List.of("x", "y", "z")) {
                assertThat(raw.dedupeHeld(keys, 0, "ops", "a", id, window)).matches("\\d+-\\d+ [0-9a-f]{32}");
            }
            // the ids live in Redis's buckets, not the ones the skewed clock named
            long bucket = Math.floorDiv(redisNowMs(raw), window);
            String prefix = keys.dedupeBucketPrefix(0, "ops", window);
            assertThat((List<?>) raw.call("KEYS", prefix + "*")).extracting(RawRedis::text).containsExactly(prefix + bucket);
        }
    }

    /** DEDUPEBUCKET error replies Redis has given (INFO errorstats). */
    private static long refusals(RawRedis raw) {
        Matcher m = Pattern.compile("errorstat_DEDUPEBUCKET:count=(\\d+)").matcher(raw.callText("INFO", "errorstats"));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static long redisNowMs(RawRedis raw) {
        List<?> time = (List<?>) raw.call("TIME");
        return Long.parseLong(RawRedis.text(time.get(0))) * 1000 + Long.parseLong(RawRedis.text(time.get(1))) / 1000;
    }

    private static DedupeClock clockOf(TallyProducer producer) throws Exception {
        Field sender = RedisTallyProducer.class.getDeclaredField("sender");
        sender.setAccessible(true);
        Field clock = SenderLoop.class.getDeclaredField("dedupeClock");
        clock.setAccessible(true);
        return (DedupeClock) clock.get(sender.get(producer));
    }
}
