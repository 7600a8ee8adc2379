package io.tally.producer.internal;

import io.tally.common.internal.concurrent.DaemonThreads;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Samples each partition's backlog (slowest group's lag plus pending, from XINFO GROUPS) once a
 * second, so that sends to a partition past the limit fail fast instead of filling Redis.
 */
final class BacklogMonitor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BacklogMonitor.class);
    private static final LuaScript BACKLOG = LuaScript.resource("backlog");
    static final long INTERVAL_MS = 1000;

    private final RedissonClient redis;
    private final Keys keys;
    private final long limit;
    private final AtomicLongArray backlog;
    private final ScheduledExecutorService timer;

    BacklogMonitor(RedissonClient redis, Keys keys, int partitions, long limit) {
        this.redis = redis;
        this.keys = keys;
        this.limit = limit;
        this.backlog = new AtomicLongArray(partitions);
        this.timer = DaemonThreads.scheduler("tally-backlog-monitor");
        if (limit > 0) {
            BACKLOG.load(redis);
            timer.scheduleWithFixedDelay(this::sample, 0, INTERVAL_MS, TimeUnit.MILLISECONDS);
        }
    }

    /** The last sampled backlog of a partition, when it is over the limit; else -1. */
    long overLimit(int partition) {
        if (limit <= 0) {
            return -1;
        }
        long b = backlog.get(partition);
        return b >= limit ? b : -1;
    }

    long limit() {
        return limit;
    }

    private void sample() {
        try {
            RBatch batch = redis.createBatch();
            List<RFuture<List<Object>>> replies = new ArrayList<>();
            for (int p = 0; p < backlog.length(); p++) {
                replies.add(BACKLOG.evalAsync(batch.getScript(), RScript.ReturnType.LIST,
                        new ArrayList<>(keys.inputStreams(p))));
            }
            batch.execute();
            for (int p = 0; p < replies.size(); p++) {
                long worst = 0;
                for (Object v : replies.get(p).toCompletableFuture().join()) {
                    worst = Math.max(worst, ((Number) v).longValue());
                }
                backlog.set(p, worst);
            }
        } catch (RuntimeException e) {
            if (LuaScript.isNoScript(e)) {
                BACKLOG.load(redis);
            }
            log.debug("backlog sample failed: {}", e.toString());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
