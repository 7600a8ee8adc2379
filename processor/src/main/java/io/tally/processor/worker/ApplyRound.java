package io.tally.processor.worker;

import io.tally.common.keys.Keys;
import io.tally.common.redis.LuaScript;
import io.tally.processor.ProcessorMetrics;
import org.redisson.api.BatchOptions;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * One pipelined round over every owned partition: a claim script for a partition still recovering,
 * otherwise one apply script that reads and applies a batch of both input streams atomically. All
 * scripts of a round leave as one pipeline, so N partitions cost one round trip.
 */
public final class ApplyRound {
    private static final Logger log = LoggerFactory.getLogger(ApplyRound.class);
    static final LuaScript APPLY = LuaScript.resource("apply");
    static final LuaScript CLAIM = LuaScript.resource("claim");
    private static final int STREAM_FIELDS = 8;

    private final RedissonClient redis;
    private final Keys keys;
    private final int partitions;
    private final String leaseValue;
    private final int batchSize;
    private final ProcessorMetrics metrics;
    private final String windows;
    private final long futureMs;

    /**
     * @param windows  allowed series windows in the script's form ({@code SeriesWindows.scriptArg()})
     * @param futureMs how far an entry's ts may lead its id time and still pick its buckets, ms
     */
    public ApplyRound(RedissonClient redis, Keys keys, int partitions, String leaseValue, int batchSize,
                      ProcessorMetrics metrics, String windows, long futureMs) {
        this.windows = windows;
        this.futureMs = futureMs;
        this.redis = redis;
        this.keys = keys;
        this.partitions = partitions;
        this.leaseValue = leaseValue;
        this.batchSize = batchSize;
        this.metrics = metrics;
    }

    public void load() {
        APPLY.load(redis);
        CLAIM.load(redis);
    }

    /**
     * Runs one round.
     *
     * @param workers   owned partitions
     * @param leaseLost called with each partition whose lease turned out to be gone
     * @return entries read in the round (0 means every partition was idle)
     */
    public int run(Collection<PartitionWorker> workers, IntConsumer leaseLost) {
        RBatch batch = redis.createBatch(BatchOptions.defaults().retryAttempts(0));
        List<Step> handlers = new ArrayList<>(workers.size());
        int[] read = {0};
        for (PartitionWorker w : workers) {
            if (w.halted()) {
                continue;
            }
            StreamCursor claiming = w.claiming();
            if (claiming != null) {
                RFuture<List<Object>> f = CLAIM.evalAsync(batch.getScript(), RScript.ReturnType.LIST,
                        List.of(stream(w.partition, claiming.topic), keys.lease(w.partition)),
                        leaseValue, consumer(), claiming.position, 1000);
                handlers.add(new Step(w.partition, f, () -> onClaim(w, claiming, f.toCompletableFuture().join(), leaseLost)));
            } else {
                RFuture<List<Object>> f = APPLY.evalAsync(batch.getScript(), RScript.ReturnType.LIST,
                        applyKeys(keys, w.partition),
                        leaseValue, consumer(), w.partition, partitions, batchSize,
                        w.ops.readCursor(), w.events.readCursor(), windows, futureMs);
                handlers.add(new Step(w.partition, f, () -> read[0] += onApply(w, f.toCompletableFuture().join(), leaseLost)));
            }
        }
        if (handlers.isEmpty()) {
            return 0;
        }
        long start = System.nanoTime();
        RuntimeException failure = null;
        try {
            batch.execute();
        } catch (RuntimeException e) {
            if (LuaScript.isNoScript(e)) {
                log.info("Redis forgot the scripts (restart or failover); loading them again");
                load();
                return 0;
            }
            failure = e;
        }
        metrics.round(System.nanoTime() - start, handlers.size());
        int failed = 0;
        for (Step step : handlers) {
            if (step.reply.toCompletableFuture().isCompletedExceptionally() || !step.reply.isDone()) {
                failed++;
                continue;
            }
            step.handler.run();
        }
        if (failure != null && failed == handlers.size()) {
            throw failure;
        }
        if (failure != null) {
            log.error("{} of {} partitions failed this round: {}", failed, handlers.size(), failure.toString());
        }
        return read[0];
    }

    /** A partition's queued script and what to do with its reply. */
    private record Step(int partition, RFuture<?> reply, Runnable handler) {
    }

    private void onClaim(PartitionWorker w, StreamCursor cursor, List<Object> reply, IntConsumer leaseLost) {
        if ("LEASE_LOST".equals(reply.get(0))) {
            leaseLost.accept(w.partition);
            return;
        }
        String next = String.valueOf(reply.get(1));
        if (reply.size() > 3) {
            List<Object> deleted = reply.subList(3, reply.size());
            metrics.lost(cursor.topic, deleted.size());
            log.error("partition {}: {} pending {} entries were deleted from the stream before they were applied "
                    + "and are lost: {}", w.partition, deleted.size(), cursor.topic, deleted);
        }
        cursor.claimed(next);
    }

    private int onApply(PartitionWorker w, List<Object> reply, IntConsumer leaseLost) {
        if ("LEASE_LOST".equals(reply.get(0))) {
            leaseLost.accept(w.partition);
            return 0;
        }
        int read = 0;
        read += onStream(w, w.ops, reply, 1);
        read += onStream(w, w.events, reply, 1 + STREAM_FIELDS);
        if (reply.size() > 1 + 2 * STREAM_FIELDS) {
            recordFirings(String.valueOf(reply.get(1 + 2 * STREAM_FIELDS)));
        }
        if (reply.size() > 2 + 2 * STREAM_FIELDS) {
            recordSeries(w.partition, String.valueOf(reply.get(2 + 2 * STREAM_FIELDS)));
        }
        return read;
    }

    private int onStream(PartitionWorker w, StreamCursor cursor, List<Object> reply, int at) {
        String state = String.valueOf(reply.get(at));
        int read = Integer.parseInt(String.valueOf(reply.get(at + 1)));
        int applied = Integer.parseInt(String.valueOf(reply.get(at + 2)));
        int redelivered = Integer.parseInt(String.valueOf(reply.get(at + 3)));
        int deleted = Integer.parseInt(String.valueOf(reply.get(at + 4)));
        String last = String.valueOf(reply.get(at + 5));
        if (state.equals("GAP")) {
            w.consecutiveGaps++;
            metrics.gap(w.partition);
            if (w.consecutiveGaps > 3) {
                log.warn("partition {}: {} after checkpoint is still out of reach after {} recoveries; an entry after "
                        + "the checkpoint is neither pending nor deliverable (acknowledged outside Tally?)",
                        w.partition, cursor.topic, w.consecutiveGaps);
            } else {
                log.info("partition {}: {} batch does not follow the checkpoint; claiming every pending entry and "
                        + "re-reading from the start", w.partition, cursor.topic);
            }
            cursor.restartRecovery();
            return read;
        }
        if (state.startsWith("VERSION:")) {
            w.haltedBy = state.substring("VERSION:".length());
            MDC.put("partition", Integer.toString(w.partition));
            log.error("partition {}: {} entry after {} has wire format version '{}', this processor understands "
                    + "only version 1; the partition is stopped until an upgraded processor takes it over",
                    w.partition, cursor.topic, last.isEmpty() ? "the checkpoint" : last, w.haltedBy);
            MDC.remove("partition");
        }
        if (!state.equals("IDLE")) {
            w.consecutiveGaps = 0;
        }
        if (applied > 0) {
            metrics.applied(cursor.topic, applied);
            recordDeadLetters(cursor.topic, String.valueOf(reply.get(at + 6)));
            recordLatency(String.valueOf(reply.get(at + 7)));
        }
        if (redelivered > 0) {
            metrics.redelivered(cursor.topic, redelivered);
        }
        if (deleted > 0) {
            metrics.lost(cursor.topic, deleted);
            log.error("partition {}: {} pending {} entries were deleted before they were applied and are lost",
                    w.partition, deleted, cursor.topic);
        }
        cursor.read(read, last);
        return read;
    }

    private void recordDeadLetters(String topic, String summary) {
        if (summary.isEmpty()) {
            return;
        }
        for (String part : summary.split(",")) {
            int eq = part.indexOf('=');
            metrics.deadLetters(topic, part.substring(0, eq), Integer.parseInt(part.substring(eq + 1)));
        }
    }

    private void recordFirings(String summary) {
        if (summary.isEmpty()) {
            return;
        }
        for (String part : summary.split(",")) {
            int eq = part.indexOf('=');
            metrics.triggersFired(part.substring(0, eq), Integer.parseInt(part.substring(eq + 1)));
        }
    }

    /** Late entries (counted in the total only) and bucket sums that left the 64-bit range, by window. */
    private void recordSeries(int partition, String summary) {
        if (summary.isEmpty()) {
            return;
        }
        for (String part : summary.split(",")) {
            int dot = part.indexOf('.');
            int eq = part.indexOf('=');
            String window = part.substring(dot + 1, eq);
            int n = Integer.parseInt(part.substring(eq + 1));
            if (part.startsWith("late.")) {
                metrics.lateWindowEntries(window, n);
            } else {
                log.warn("partition {}: {} series bucket sums of window {} would leave the signed 64-bit range; "
                        + "those bucket deltas were not added (the totals were)", partition, n, window);
            }
        }
    }

    private void recordLatency(String stamps) {
        if (stamps.isEmpty()) {
            return;
        }
        long now = System.currentTimeMillis();
        for (String part : stamps.split(",")) {
            int colon = part.indexOf(':');
            long ms = Long.parseLong(part.substring(0, colon));
            metrics.endToEnd(Math.max(0, now - ms), Integer.parseInt(part.substring(colon + 1)));
        }
    }

    /** KEYS of apply.lua for one partition, in the order the script documents (public for script tests elsewhere). */
    public static List<Object> applyKeys(Keys keys, int p) {
        return List.of(keys.ops(p), keys.events(p), keys.counters(p), keys.checkpoint(p), keys.lease(p), keys.dlq(p),
                keys.triggers(p), keys.firings(p), keys.triggersByEvent(p), keys.triggersByCounter(p),
                keys.hllPrefix(p), keys.hllBucketPrefix(p), keys.seriesPrefix(p), keys.seriesIndex(p));
    }

    private String stream(int partition, String topic) {
        return "ops".equals(topic) ? keys.ops(partition) : keys.events(partition);
    }

    private String consumer() {
        return leaseValue;
    }
}
