package io.tally.processor.internal.apply;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.series.SeriesWindows;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import io.tally.processor.internal.batch.CounterFold;
import io.tally.processor.internal.batch.CounterNames;
import io.tally.processor.internal.batch.ReadBatch;
import io.tally.processor.internal.batch.ReadBatches;
import io.tally.processor.internal.batch.SeriesRules;
import io.tally.processor.internal.transport.HotPath;
import io.tally.processor.internal.transport.ScriptPipeline;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RMap;
import org.redisson.api.RScript;
import org.redisson.api.RStream;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamReadGroupArgs;
import org.redisson.client.codec.StringCodec;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fast apply script (apply_counters.lua) driven directly on a real Redis: it applies a folded batch
 * exactly, and writes nothing when it cannot decide (SLOW), when the batch does not follow the checkpoint
 * or ends in entries the stream no longer holds (GAP), or when the lease is someone else's.
 */
@ExtendWith(RealRedisExtension.class)
class ApplyCountersScriptTest {
    private static final int P = 2;
    private static final String LEASE = "me:1";
    private RedissonClient client;
    private Keys keys;
    private int p;
    private CounterNames names;
    private final SeriesRules series = new SeriesRules(SeriesWindows.parse("1m=48h,1h=90d"), 60_000);

    @BeforeEach
    void open(TestRedis redis) {
        TallyConfig config = redis.config(P).build();
        client = redis.client();
        keys = Namespace.create(client, config).keys();
        p = new Partitioner(P).partitionOf("c");
        names = new CounterNames(p, P);
        ApplyScripts.APPLY_COUNTERS.load(client);
        client.getBucket(keys.lease(p), StringCodec.INSTANCE).set(LEASE);
    }

    @AfterEach
    void close() {
        client.shutdown();
    }

    @Test
    void appliesTheFoldMovesTheCheckpointAndAcknowledges() {
        counters().put("c", "40");
        add("op", "incr", "counter", "c", "by", "5");
        add("op", "decr", "counter", "c", "by", "2");
        ReadBatch batch = read();
        assertThat(apply(LEASE, batch)).containsExactly("OK", "2", "0");
        assertThat(counters().get("c")).isEqualTo("43");
        assertThat(checkpoint()).isEqualTo(batch.last());
        assertThat(pending()).isZero();

        // the same batch again (a reply lost after the script ran): acknowledged, not applied twice
        assertThat(apply(LEASE, batch)).containsExactly("OK", "0", "2");
        assertThat(counters().get("c")).isEqualTo("43");
    }

    @Test
    void writesSetValuesAsTheirExactDecimal() {
        add("op", "set", "counter", "c", "value", "9223372036854775000");
        add("op", "incr", "counter", "c", "by", "807");
        assertThat(apply(LEASE, read())).containsExactly("OK", "2", "0");
        assertThat(counters().get("c")).isEqualTo("9223372036854775807");
    }

    @Test
    void addsWindowedDeltasToTheirBucketsAndIndexesTheBuckets() {
        long ts = System.currentTimeMillis() - 1_000;      // counts at its ts: not ahead of the id time
        long minute = ts - ts % 60_000;
        long hour = ts - ts % 3_600_000;
        add("op", "incr", "counter", "c", "by", "5", "windows", "1m,1h", "ts", Long.toString(ts));
        add("op", "decr", "counter", "c", "by", "2", "windows", "1m", "ts", Long.toString(ts));
        add("op", "incr", "counter", "c", "by", "7");
        client.<String, String>getMap(keys.seriesPrefix(p) + "1m:" + minute, StringCodec.INSTANCE).put("c", "100");
        assertThat(apply(LEASE, read())).containsExactly("OK", "3", "0");
        assertThat(counters().get("c")).isEqualTo("10");
        assertThat(client.<String, String>getMap(keys.seriesPrefix(p) + "1m:" + minute, StringCodec.INSTANCE).get("c"))
                .isEqualTo("103");
        assertThat(client.<String, String>getMap(keys.seriesPrefix(p) + "1h:" + hour, StringCodec.INSTANCE).get("c"))
                .isEqualTo("5");
        assertThat(client.getScoredSortedSet(keys.seriesIndex(p), StringCodec.INSTANCE)
                .getScore(keys.seriesPrefix(p) + "1m:" + minute)).isEqualTo((double) (minute + 60_000 + 48 * 3_600_000L));
    }

    @Test
    void declinesABucketSumItCannotProveSafe() {
        long ts = System.currentTimeMillis() - 1_000;
        long minute = ts - ts % 60_000;
        client.<String, String>getMap(keys.seriesPrefix(p) + "1m:" + minute, StringCodec.INSTANCE).put("c", "1.5");
        add("op", "incr", "counter", "c", "by", "5", "windows", "1m", "ts", Long.toString(ts));
        assertThat(apply(LEASE, read())).containsExactly("SLOW", "value");
        assertThat(counters().isExists()).isFalse();
    }

    @Test
    void aStaleLeaseWritesNothing() {
        add("op", "incr", "counter", "c", "by", "5");
        ReadBatch batch = read();
        assertThat(apply("old-owner:1", batch)).containsExactly("LEASE_LOST");
        assertThat(counters().isExists()).isFalse();
        assertThat(pending()).isEqualTo(1);
    }

    @Test
    void aBatchThatDoesNotFollowTheCheckpointIsAGap() {
        add("op", "incr", "counter", "c", "by", "1");
        // another consumer took the first entry and never applied it
        client.getStream(keys.ops(p), StringCodec.INSTANCE)
                .readGroup(Keys.GROUP, "zombie:1", StreamReadGroupArgs.neverDelivered().count(1));
        add("op", "incr", "counter", "c", "by", "2");
        assertThat(apply(LEASE, read())).containsExactly("GAP");
        assertThat(counters().isExists()).isFalse();
        assertThat(client.getMap(keys.checkpoint(p), StringCodec.INSTANCE).isExists()).isFalse();
    }

    @Test
    void aBatchWhoseTailTheStreamNoLongerHoldsIsAGap() {
        counters().put("c", "40");
        add("op", "incr", "counter", "c", "by", "1");
        add("op", "incr", "counter", "c", "by", "2");
        add("op", "incr", "counter", "c", "by", "4");
        ReadBatch batch = read();
        // a failover to a replica that had only the first entry: the others are gone from the stream
        // (a producer that saw their sends fail sends them again, as new entries)
        RStream<String, String> ops = client.getStream(keys.ops(p), StringCodec.INSTANCE);
        List<StreamMessageId> read = List.copyOf(ops.range(StreamMessageId.MIN, StreamMessageId.MAX).keySet());
        ops.remove(read.get(1), read.get(2));
        assertThat(apply(LEASE, batch)).containsExactly("GAP");
        assertThat(counters().get("c")).isEqualTo("40");
        assertThat(client.getMap(keys.checkpoint(p), StringCodec.INSTANCE).isExists()).isFalse();
    }

    @Test
    void declinesCountersWithThresholdTriggers() {
        client.<String, String>getMap(keys.triggersByCounter(p), StringCodec.INSTANCE).put("c", "t1");
        add("op", "incr", "counter", "c", "by", "1");
        List<Object> reply = apply(LEASE, read());
        assertThat(reply).containsExactly("SLOW", "threshold");
        assertThat(counters().isExists()).isFalse();
        assertThat(pending()).isEqualTo(1);
    }

    @Test
    void declinesStoredValuesItCannotProveSafe() {
        for (String stored : List.of("5.0", "1.5", "-2.5", "007", "1e3", "0x10", " 5", "abc", "100000000000000",
                "-9223372036854775808")) {
            counters().put("c", stored);
            add("op", "incr", "counter", "c", "by", "1");
            ReadBatch batch = read();
            assertThat(apply(LEASE, batch)).as(stored).containsExactly("SLOW", "value");
            assertThat(counters().get("c")).isEqualTo(stored);
            // the next case's batch follows this one, as if apply.lua had applied it
            client.<String, String>getMap(keys.checkpoint(p), StringCodec.INSTANCE).put("ops", batch.last());
        }
    }

    @Test
    void theRedissonPipelineSendsTheByteArgumentsAsTheirText() throws Exception {
        String umlaut = nonAsciiName();
        add("op", "incr", "counter", "c", "by", "5");
        add("op", "set", "counter", umlaut, "value", "-3");
        ReadBatch batch = read();
        CounterFold fold = batch.fold(series);
        ScriptPipeline pipeline = HotPath.redisson().open(client, keys, P, LEASE).pipeline();
        CompletableFuture<List<Object>> reply = new ApplyScripts(keys, P, LEASE,
                SeriesWindows.parse("1m=48h,1h=90d").scriptArg(), 60_000, 100, ApplyScripts.APPLY)
                .fastApply(pipeline, p, batch, fold);
        pipeline.execute().get(5, TimeUnit.SECONDS);
        assertThat(reply.join().stream().map(String::valueOf)).containsExactly("OK", "2", "0");
        assertThat(counters().get("c")).isEqualTo("5");
        assertThat(counters().get(umlaut)).isEqualTo("-3");
        assertThat(checkpoint()).isEqualTo(batch.last());
    }

    @Test
    void declinesABatchPartlyAtOrBelowTheCheckpoint() {
        add("op", "incr", "counter", "c", "by", "1");
        add("op", "incr", "counter", "c", "by", "2");
        ReadBatch batch = read();
        client.<String, String>getMap(keys.checkpoint(p), StringCodec.INSTANCE).put("ops", batch.first());
        assertThat(apply(LEASE, batch)).containsExactly("SLOW", "checkpoint");
        assertThat(counters().isExists()).isFalse();
    }

    private List<Object> apply(String lease, ReadBatch batch) {
        CounterFold fold = batch.fold(series);
        assertThat(fold).isNotNull();
        return ApplyScripts.APPLY_COUNTERS.eval(client, RScript.ReturnType.LIST, ApplyScripts.fastKeys(keys, p),
                lease, batch.first(), batch.last(), Long.toString(fold.bound()), new String(batch.joinedIds(), StandardCharsets.UTF_8),
                new String(fold.pairs(), StandardCharsets.UTF_8),
                fold.buckets().cells(), fold.buckets().deadlines());
    }

    /** A counter name of partition p that is not ASCII. */
    private String nonAsciiName() {
        Partitioner partitioner = new Partitioner(P);
        for (int i = 0; ; i++) {
            if (partitioner.partitionOf("zähler" + i) == p) {
                return "zähler" + i;
            }
        }
    }

    private void add(String... fields) {
        Map<String, String> all = new LinkedHashMap<>();
        for (int i = 0; i < fields.length; i += 2) {
            all.put(fields[i], fields[i + 1]);
        }
        client.<String, String>getStream(keys.ops(p), StringCodec.INSTANCE).add(StreamAddArgs.entries(all));
    }

    private ReadBatch read() {
        RStream<String, String> ops = client.getStream(keys.ops(p), StringCodec.INSTANCE);
        return ReadBatches.fromFields(ops.readGroup(Keys.GROUP, LEASE, StreamReadGroupArgs.neverDelivered().count(100)), names);
    }

    private RMap<String, String> counters() {
        return client.getMap(keys.counters(p), StringCodec.INSTANCE);
    }

    private String checkpoint() {
        return client.<String, String>getMap(keys.checkpoint(p), StringCodec.INSTANCE).get("ops");
    }

    private long pending() {
        return client.getStream(keys.ops(p), StringCodec.INSTANCE).getPendingInfo(Keys.GROUP).getTotal();
    }
}
