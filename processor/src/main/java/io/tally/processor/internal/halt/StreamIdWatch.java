package io.tally.processor.internal.halt;

import io.tally.common.internal.redis.RedisFailures;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.status.StreamIdHorizon;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * Checks, every {@value #INTERVAL_MS} ms and off the apply path, the last generated id of each owned
 * partition's input streams against Redis time (one read-only script per partition, pipelined). A stream
 * whose id lies beyond {@link StreamIdHorizon} marks the partition {@value PartitionHalts#STREAM_ID_EXHAUSTED}
 * until it is repaired: writers can no longer append to it (at the maximal id) or append in the future.
 * The partition goes on applying what its streams hold.
 */
public final class StreamIdWatch {
    private static final Logger log = LoggerFactory.getLogger(StreamIdWatch.class);
    static final LuaScript TOPS = LuaScript.resource("stream_tops");
    /** Time between checks; a repaired stream clears its halt within this. */
    public static final long INTERVAL_MS = 5_000;
    private static final String[] TOPICS = {"ops", "events"};

    private final RedissonClient redis;
    private final Keys keys;
    private final PartitionHalts halts;
    private final long intervalNanos;
    private long nextRun;

    public StreamIdWatch(RedissonClient redis, Keys keys, PartitionHalts halts) {
        this(redis, keys, halts, INTERVAL_MS);
    }

    StreamIdWatch(RedissonClient redis, Keys keys, PartitionHalts halts, long intervalMs) {
        this.redis = redis;
        this.keys = keys;
        this.halts = halts;
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
    }

    public void load() {
        TOPS.load(redis);
    }

    /** Checks the owned partitions when due; a failure is logged and the check tried at the next interval. */
    public void run(Collection<Integer> owned) {
        if (System.nanoTime() < nextRun || owned.isEmpty()) {
            return;
        }
        nextRun = System.nanoTime() + intervalNanos;
        Map<Integer, RFuture<List<Object>>> replies = new TreeMap<>();
        RBatch batch = redis.createBatch();
        for (int p : owned) {
            replies.put(p, TOPS.evalAsync(batch.getScript(), RScript.ReturnType.LIST,
                    List.of(keys.ops(p), keys.events(p))));
        }
        try {
            batch.execute();
        } catch (RuntimeException e) {
            if (LuaScript.isNoScript(e)) {
                load();
                log.warn("stream id check failed: {}", RedisFailures.line(e, null));
                return;
            }
            // Redis refused some partition's check (a stream another program made a key of another type);
            // every other check ran, and is read below
        }
        replies.forEach((p, reply) -> {
            CompletableFuture<List<Object>> f = reply.toCompletableFuture();
            if (f.isDone() && !f.isCompletedExceptionally()) {
                check(p, f.join());
            } else {
                log.warn("partition {}: stream id check failed ({}); tried again in {} ms", p, why(f),
                        TimeUnit.NANOSECONDS.toMillis(intervalNanos));
            }
        });
    }

    private static String why(CompletableFuture<?> failed) {
        if (!failed.isDone()) {
            return "no reply";
        }
        try {
            failed.join();
            return "no error";
        } catch (CompletionException | CancellationException e) {
            return String.valueOf((e.getCause() != null ? e.getCause() : e).getMessage());
        }
    }

    private void check(int partition, List<Object> reply) {
        long now = Long.parseLong(String.valueOf(reply.get(0)));
        StringBuilder detail = new StringBuilder();
        for (int i = 0; i < TOPICS.length; i++) {
            String last = String.valueOf(reply.get(i + 1));
            if (StreamIdHorizon.beyond(last, now)) {
                detail.append(detail.length() == 0 ? "" : "; ").append(TOPICS[i]).append(" last id ").append(last)
                        .append(" is ").append(StreamIdHorizon.daysAhead(last, now)).append(" days ahead of Redis time");
            }
        }
        if (detail.length() > 0) {
            detail.append(": XADD * fails or writes future ids; run `tally repair stream-ids --partition ")
                    .append(partition).append('`');
        }
        String text = detail.length() == 0 ? null : detail.toString();
        if (halts.streamIds(partition, text)) {
            MDC.put("partition", Integer.toString(partition));
            if (text != null) {
                log.error("partition {}: {}", partition, text);
            } else {
                log.info("partition {}: its stream ids are within {} ms of Redis time again", partition,
                        StreamIdHorizon.TOLERANCE_MS);
            }
            MDC.remove("partition");
        }
    }
}
