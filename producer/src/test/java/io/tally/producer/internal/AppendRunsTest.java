package io.tally.producer.internal;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.internal.wire.WireCodec;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.client.codec.StringCodec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * One pipeline that mixes every shape of entry (so append_runs.lua sees runs of 2 to 7 fields, plain and
 * idempotent, ops and events) writes exactly WireCodec's fields, in send order, and deduplicates ids
 * within the pipeline and across pipelines.
 */
@ExtendWith(RealRedisExtension.class)
class AppendRunsTest {

    @Test
    void mixedShapesLandAsWireCodecEncodesThemAndRepeatedIdsAreDuplicates(TestRedis redis) {
        TallyConfig config = redis.config(1).set(TallyConfig.PRODUCER_LINGER_MS, 200).build();
        List<CounterOp> ops = List.of(
                CounterOp.incr("a", 1), CounterOp.incr("a", 2), CounterOp.reset("a"),
                CounterOp.incr("a", 3).withId("x"), CounterOp.incr("a", 4).withId("y").withTs(7),
                CounterOp.incr("a", 3).withId("x").withTs(5), // duplicate of an entry of the same pipeline
                CounterOp.set("a", -9).withTs(8), CounterOp.unique("a", "m").withWindows("1m").withId("z").withTs(9),
                CounterOp.decr("a", 6));
        List<Event> events = List.of(
                new Event("e", Map.of("p1", "v1"), null, null),
                new Event("e", Map.of("p1", "v1", "p2", "v2", "p3", "v3"), "ev-1", 10L),
                new Event("e", Map.of("q", "w"), null, null),
                // values of every MessagePack string size: fixstr, str 8, str 16, str 32, empty
                new Event("e", Map.of("a", "x".repeat(31), "b", "é".repeat(100), "c", "y".repeat(300),
                        "d", "z".repeat(65_000), "f", "", "g", "tab\tnew\nline"), null, null),
                new Event("e", Map.of("p1", "v1", "p2", "v2", "p3", "v3"), "ev-1", 10L));
        List<CompletableFuture<SendResult>> opResults = new ArrayList<>();
        List<CompletableFuture<SendResult>> eventResults = new ArrayList<>();
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            ops.forEach(op -> opResults.add(producer.send(op)));
            events.forEach(e -> eventResults.add(producer.emit(e)));
            producer.flush();
            SendResult later = producer.send(CounterOp.incr("a", 4).withId("y")).join();
            assertThat(later.duplicate()).isTrue();
            assertThat(later.entryId()).isEqualTo(opResults.get(4).join().entryId());
        }
        assertThat(opResults).extracting(f -> f.join().duplicate())
                .containsExactly(false, false, false, false, false, true, false, false, false);
        assertThat(opResults.get(5).join().entryId()).isEqualTo(opResults.get(3).join().entryId());
        assertThat(eventResults).extracting(f -> f.join().duplicate()).containsExactly(false, false, false, false, true);

        Keys keys = TestRedis.keys(config);
        RedissonClient client = redis.client();
        try {
            List<Map<String, String>> expectedOps = new ArrayList<>();
            for (int i = 0; i < ops.size(); i++) {
                if (i != 5) {
                    expectedOps.add(WireCodec.encode(ops.get(i)));
                }
            }
            assertThat(entries(client, keys.ops(0), opResults)).containsExactlyElementsOf(expectedOps);
            List<Map<String, String>> expectedEvents = events.subList(0, 4).stream().map(WireCodec::encode).toList();
            assertThat(entries(client, keys.events(0), eventResults)).containsExactlyElementsOf(expectedEvents);
        } finally {
            client.shutdown();
        }
    }

    @Test
    void aCallThatStartsWithADuplicateStillGivesEveryNewEntryItsOwnIdAndDedupeKey(TestRedis redis) {
        TallyConfig config = redis.config(1).set(TallyConfig.PRODUCER_LINGER_MS, 200).build();
        Keys keys = TestRedis.keys(config);
        RedissonClient client = redis.client();
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            SendResult x = producer.send(CounterOp.incr("a", 1).withId("x")).join();
            List<CompletableFuture<SendResult>> results = List.of(
                    producer.send(CounterOp.incr("a", 1).withId("x")),   // duplicate, first of its call
                    producer.send(CounterOp.incr("a", 3).withId("w")),   // new: its id from XADD '*'
                    producer.send(CounterOp.incr("a", 4)),               // plain: the next id, explicitly
                    producer.send(CounterOp.incr("a", 5).withId("v")),   // new: SET NX GET, then XADD
                    producer.send(CounterOp.incr("a", 3).withId("w")));  // duplicate within the call
            producer.flush();
            assertThat(results).extracting(f -> f.join().duplicate()).containsExactly(true, false, false, false, true);
            assertThat(results.get(0).join().entryId()).isEqualTo(x.entryId());
            assertThat(results.get(4).join().entryId()).isEqualTo(results.get(1).join().entryId());
            List<String> ids = results.subList(1, 4).stream().map(f -> f.join().entryId()).toList();
            assertThat(client.<String, String>getStream(keys.ops(0), StringCodec.INSTANCE)
                    .range(StreamMessageId.MIN, StreamMessageId.MAX).keySet())
                    .extracting(StreamMessageId::toString).containsExactly(x.entryId(), ids.get(0), ids.get(1), ids.get(2));
            long window = config.get(TallyConfig.DEDUPE_WINDOW_MS);
            try (RawRedis raw = new RawRedis(config.redisUrl())) {
                for (String[] idAndEntry : new String[][]{{"w", ids.get(0)}, {"v", ids.get(2)}}) {
                    assertThat(raw.dedupeHeld(keys, 0, "ops", "a", idAndEntry[0], window))
                            .matches(java.util.regex.Pattern.quote(idAndEntry[1]) + " [0-9a-f]{32}");
                }
                // a new namespace keeps ids in the stream's dedupe buckets, which expire within two windows
                String bucketPrefix = keys.dedupeBucketPrefix(0, "ops", window);
                List<?> buckets = (List<?>) raw.call("KEYS", bucketPrefix + "*");
                assertThat(buckets).hasSizeBetween(1, 2); // two when the test ran across a bucket's end
                assertThat(buckets.stream().mapToLong(b -> raw.callLong("HLEN", b)).sum()).isEqualTo(3);
                for (Object bucket : buckets) {
                    assertThat(raw.callLong("PTTL", bucket)).isBetween(1L, 2 * window);
                }
                assertThat(raw.callLong("EXISTS", keys.dedupe(0, "ops", "a", "w"))).isZero();
            }
        } finally {
            client.shutdown();
        }
    }

    @Test
    void aCallThatRunsOutOfStreamIds_completesTheSendsItWroteAndFailsOnlyTheRest(TestRedis redis) {
        TallyConfig config = redis.config(1).set(TallyConfig.PRODUCER_LINGER_MS, 200).build();
        Keys keys = TestRedis.keys(config);
        String max = "18446744073709551615";
        RedissonClient client = redis.client();
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            client.getScript(StringCodec.INSTANCE).eval(org.redisson.api.RScript.Mode.READ_WRITE,
                    "return redis.call('XADD', KEYS[1], ARGV[1], 'seed', '1')", org.redisson.api.RScript.ReturnType.VALUE,
                    List.of(keys.ops(0)), max + "-18446744073709551613");
            List<CompletableFuture<SendResult>> sends = List.of(producer.send(CounterOp.incr("a", 1)),
                    producer.send(CounterOp.incr("a", 2).withId("k")), producer.send(CounterOp.incr("a", 3)),
                    producer.send(CounterOp.incr("a", 4).withId("l")));
            producer.flush();
            assertThat(sends.get(0).join().entryId()).isEqualTo(max + "-18446744073709551614");
            assertThat(sends.get(1).join().entryId()).isEqualTo(max + "-" + max);
            for (CompletableFuture<SendResult> late : sends.subList(2, 4)) {
                assertThatThrownBy(late::join).cause().isInstanceOf(io.tally.producer.SendFailedException.class)
                        .hasMessageContaining("not written").hasMessageContaining("largest possible id");
            }
            assertThat(client.getStream(keys.ops(0), StringCodec.INSTANCE).size()).isEqualTo(3);
            try (RawRedis raw = new RawRedis(config.redisUrl())) {
                assertThat(raw.dedupeHeld(keys, 0, "ops", "a", "l", config.get(TallyConfig.DEDUPE_WINDOW_MS))).isNull();
                assertThat(raw.dedupeHeld(keys, 0, "ops", "a", "k", config.get(TallyConfig.DEDUPE_WINDOW_MS)))
                        .startsWith(max + "-" + max + " ");
            }
        } finally {
            client.shutdown();
        }
    }

    @Test
    void aNamespaceWhoseMetaNamesNoDedupeLayout_keepsAKeyPerIdAsBefore(TestRedis redis) {
        TallyConfig config = redis.config(1).build();
        Keys keys = TestRedis.keys(config);
        long window = config.get(TallyConfig.DEDUPE_WINDOW_MS);
        try (RawRedis raw = new RawRedis(config.redisUrl())) {
            raw.call("HDEL", keys.meta(), "dedupe"); // as a namespace created before dedupe buckets
            try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
                SendResult first = producer.send(CounterOp.incr("a", 1).withId("x")).join();
                SendResult again = producer.send(CounterOp.incr("a", 1).withId("x")).join();
                assertThat(again.duplicate()).isTrue();
                assertThat(again.entryId()).isEqualTo(first.entryId());
                String key = keys.dedupe(0, "ops", "a", "x");
                assertThat(raw.callText("GET", key)).matches(java.util.regex.Pattern.quote(first.entryId()) + " [0-9a-f]{32}");
                assertThat(raw.callLong("PTTL", key)).isBetween(1L, window);
                assertThat((List<?>) raw.call("KEYS", keys.dedupeBucketPrefix(0, "ops", window) + "*")).isEmpty();
                assertThat(raw.callLong("XLEN", keys.ops(0))).isEqualTo(1);
            }
        }
    }

    /** The stream's entries in id order, as ordered field maps; their ids must be the sends' ids. */
    private static List<Map<String, String>> entries(RedissonClient client, String stream,
                                                     List<CompletableFuture<SendResult>> results) {
        Map<StreamMessageId, Map<String, String>> range = client.<String, String>getStream(stream, StringCodec.INSTANCE)
                .range(StreamMessageId.MIN, StreamMessageId.MAX);
        assertThat(range.keySet()).extracting(StreamMessageId::toString)
                .containsExactlyElementsOf(results.stream().map(f -> f.join().entryId()).distinct().toList());
        return range.values().stream().map(m -> (Map<String, String>) new LinkedHashMap<>(m)).toList();
    }
}
