package io.tally.processor.internal.apply;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.processor.internal.batch.CounterFold;
import io.tally.processor.internal.batch.ReadBatch;
import io.tally.processor.internal.transport.ScriptPipeline;
import org.redisson.api.RedissonClient;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The scripts of the apply path and what each call sends: its KEYS, in the order the script documents,
 * and its ARGV. The KEYS of apply.lua and apply_counters.lua are built once per partition: they are
 * sent every round.
 */
public final class ApplyScripts {
    public static final LuaScript APPLY = LuaScript.resource("apply");
    static final LuaScript DEAD_LETTER = LuaScript.resource("dead_letter_entry");
    static final LuaScript APPLY_COUNTERS = LuaScript.resource("apply_counters");
    static final LuaScript CLAIM = LuaScript.resource("claim");

    private final Keys keys;
    private final int partitions;
    private final String leaseValue;
    private final String windows;
    private final long futureMs;
    private final int maxFiringsPerCall;
    /** apply.lua, or a variant a test gives to make chosen entries fail (see ApplyRound.withApplyScript). */
    private final LuaScript apply;
    private final List<List<Object>> applyKeys = new ArrayList<>();
    private final List<List<Object>> fastKeys = new ArrayList<>();

    /**
     * @param windows  allowed series windows, as apply.lua takes them
     * @param futureMs how far an entry's ts may lead its id time and still pick its buckets, ms
     * @param maxFiringsPerCall most firings one apply.lua call appends (the rest of its batch waits)
     */
    ApplyScripts(Keys keys, int partitions, String leaseValue, String windows, long futureMs, int maxFiringsPerCall,
                 LuaScript apply) {
        this.keys = keys;
        this.partitions = partitions;
        this.leaseValue = leaseValue;
        this.windows = windows;
        this.futureMs = futureMs;
        this.maxFiringsPerCall = maxFiringsPerCall;
        this.apply = apply;
        for (int p = 0; p < partitions; p++) {
            applyKeys.add(applyKeys(keys, p));
            fastKeys.add(fastKeys(keys, p));
        }
    }

    void load(RedissonClient redis) {
        apply.load(redis);
        DEAD_LETTER.load(redis);
        APPLY_COUNTERS.load(redis);
        CLAIM.load(redis);
    }

    /** claim.lua: claims the partition's pending entries of one stream from {@code cursor} on. */
    CompletableFuture<List<Object>> claim(ScriptPipeline batch, int partition, StreamCursor cursor) {
        return batch.eval(CLAIM, List.of(stream(partition, cursor.topic), keys.lease(partition)),
                leaseValue, consumer(), cursor.position, 1000);
    }

    /** apply.lua over at most {@code count} entries of each stream after its cursor ("" skips a stream). */
    CompletableFuture<List<Object>> fullApply(ScriptPipeline batch, int partition, String opsCursor,
                                              String eventsCursor, int count) {
        return batch.eval(apply, applyKeys.get(partition),
                leaseValue, consumer(), partition, partitions, count, opsCursor, eventsCursor, windows, futureMs,
                maxFiringsPerCall);
    }

    /** apply_counters.lua for a counter batch read ahead, with its fold. */
    CompletableFuture<List<Object>> fastApply(ScriptPipeline batch, int partition, ReadBatch b, CounterFold fold) {
        CounterFold.Buckets buckets = fold.buckets();
        return batch.eval(APPLY_COUNTERS, fastKeys.get(partition),
                leaseValue, b.first(), b.last(), Long.toString(fold.bound()), b.joinedIds(), fold.pairs(),
                buckets.cells(), buckets.deadlines(), buckets.newestIdTime(), futureMs);
    }

    /** dead_letter_entry.lua for the first pending entry of one stream after {@code position}. */
    CompletableFuture<List<Object>> deadLetter(ScriptPipeline batch, int partition, String topic, String position,
                                               String error) {
        return batch.eval(DEAD_LETTER,
                List.of(stream(partition, topic), keys.checkpoint(partition), keys.lease(partition), keys.dlq(partition)),
                leaseValue, consumer(), topic, position, error);
    }

    /** KEYS of apply.lua for one partition, in the order the script documents (public for script tests elsewhere). */
    public static List<Object> applyKeys(Keys keys, int p) {
        return List.of(keys.ops(p), keys.events(p), keys.counters(p), keys.checkpoint(p), keys.lease(p), keys.dlq(p),
                keys.triggers(p), keys.firings(p), keys.triggersByEvent(p), keys.triggersByCounter(p),
                keys.hllPrefix(p), keys.hllBucketPrefix(p), keys.seriesPrefix(p), keys.seriesIndex(p));
    }

    /** KEYS of apply_counters.lua for one partition. */
    static List<Object> fastKeys(Keys keys, int p) {
        return List.of(keys.ops(p), keys.counters(p), keys.checkpoint(p), keys.lease(p), keys.triggersByCounter(p),
                keys.seriesPrefix(p), keys.seriesIndex(p));
    }

    /** The stream key of {@code topic} ("ops" or "events") of a partition. */
    String stream(int partition, String topic) {
        return "ops".equals(topic) ? keys.ops(partition) : keys.events(partition);
    }

    /** The consumer name in the streams' group: the processor's lease value. */
    private String consumer() {
        return leaseValue;
    }
}
