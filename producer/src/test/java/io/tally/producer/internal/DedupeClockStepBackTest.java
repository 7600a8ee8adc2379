package io.tally.producer.internal;

import io.tally.common.config.HotPathConnection;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.model.CounterOp;
import io.tally.producer.DuplicateIdConflictException;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Redis's clock stepped back across a dedupe bucket's start (an NTP step, a failover to a replica whose
 * clock is behind): the ids written just before the step are in the bucket after Redis's current one. A
 * retry of such a send through another producer (another session, as through another {@code tally serve})
 * must still be answered as a duplicate of the original entry, and another payload with its id as a
 * conflict, with nothing written.
 */
@ExtendWith(RealRedisExtension.class)
class DedupeClockStepBackTest {

    @ParameterizedTest(name = "{0}")
    @EnumSource(HotPathConnection.class)
    void anIdWrittenJustBeforeAStepBack_isADuplicateForANewProducer_andAnotherPayloadAConflict(
            HotPathConnection connection, TestRedis redis) throws Exception {
        TallyConfig config = redis.config(1).set(TallyConfig.PRODUCER_LINGER_MS, 20)
                .set(TallyConfig.HOT_PATH_CONNECTION, connection).build();
        long window = config.get(TallyConfig.DEDUPE_WINDOW_MS);
        Keys keys = TestRedis.keys(config);
        String prefix = keys.dedupeBucketPrefix(0, "ops", window);
        String field = "1:a:x";
        try (RawRedis raw = new RawRedis(config.redisUrl())) {
            SendResult original;
            try (TallyProducer first = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
                original = first.send(CounterOp.incr("a", 1).withId("x")).get(10, TimeUnit.SECONDS);
            }
            // The state after the step: no call can write bucket b + 1 while Redis's bucket is b (the script
            // refuses it), so the field the script wrote, '<entry id> <digest>', moves there by hand, with
            // the expiry the script gives a bucket (the end of the bucket after it).
            String written = writtenBucket(raw, prefix, field);
            String held = raw.callText("HGET", written, field);
            assertThat(held).matches(Pattern.quote(original.entryId()) + " [0-9a-f]{32}");
            raw.call("DEL", written);
            long bucket = Math.floorDiv(redisNowMs(raw), window);
            String next = prefix + (bucket + 1);
            raw.call("HSET", next, field, held);
            raw.call("PEXPIREAT", next, Long.toString((bucket + 3) * window));

            List<CompletableFuture<SendResult>> retries;
            try (TallyProducer another = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
                retries = List.of(another.send(CounterOp.incr("a", 1).withId("x")),
                        another.send(CounterOp.incr("a", 2).withId("x")));
                another.flush();
            }
            assertThat(retries.get(0)).succeedsWithin(Duration.ofSeconds(10)).satisfies(r -> {
                assertThat(r.duplicate()).as("a duplicate").isTrue();
                assertThat(r.entryId()).as("answered with the original entry").isEqualTo(original.entryId());
            });
            assertThatThrownBy(() -> retries.get(1).get(10, TimeUnit.SECONDS)).as("another payload: a conflict").cause()
                    .isInstanceOfSatisfying(DuplicateIdConflictException.class,
                            e -> assertThat(e.originalEntryId()).isEqualTo(original.entryId()));
            assertThat(raw.callLong("XLEN", keys.ops(0))).as("nothing written for either").isEqualTo(1);
            assertThat(raw.callText("HGET", next, field)).isEqualTo(held);
        }
    }

    /** The one bucket that holds the field. */
    private static String writtenBucket(RawRedis raw, String prefix, String field) {
        List<String> buckets = ((List<?>) raw.call("KEYS", prefix + "*")).stream().map(RawRedis::text).toList();
        assertThat(buckets).hasSize(1);
        assertThat(raw.callLong("HEXISTS", buckets.get(0), field)).isOne();
        return buckets.get(0);
    }

    private static long redisNowMs(RawRedis raw) {
        List<?> time = (List<?>) raw.call("TIME");
        return Long.parseLong(RawRedis.text(time.get(0))) * 1000 + Long.parseLong(RawRedis.text(time.get(1))) / 1000;
    }
}
