package io.tally.processor.internal.trigger;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.processor.ProcessorListener;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * Fires due time triggers of the owned partitions. Every {@code trigger-poll-ms} one script per owned
 * partition (pipelined) runs on Redis time, fenced by the lease like the apply script: it appends the
 * firings, updates the triggers' state and reschedules repeating ones on their {@code at + k*every}
 * grid. Periods missed while the partition had no owner are merged into one firing ({@code missed}).
 * A partition whose firings cannot be written writes nothing: its due triggers stay scheduled, and
 * {@link BlockedTimeTriggers} reports it.
 *
 * <p>Driven by the processor loop's thread, which never waits for a pass: it sends one and handles
 * it once it has completed. Before the loop changes leases it {@linkplain #drain(IntConsumer) drains} the pass
 * in flight, so no script of a partition is in flight once its lease is released.
 */
public final class TimeTriggerScheduler {
    private static final Logger log = LoggerFactory.getLogger(TimeTriggerScheduler.class);
    private static final LuaScript TIME_FIRE = LuaScript.resource("time_fire");
    /** Most due entries one script takes; more due ones are fired by the next call, sent at once. */
    private static final int MAX_PER_CALL = 200;

    private final RedissonClient redis;
    private final Keys keys;
    private final String leaseValue;
    private final long intervalNanos;
    private final ProcessorListener metrics;
    private final BlockedTimeTriggers blocked;
    private long nextRun;
    /** The pass in flight (one pipeline of scripts), or null. */
    private RFuture<?> inFlight;
    private List<Integer> inFlightPartitions;
    private List<RFuture<List<Object>>> inFlightReplies;
    /** Partitions whose last call took MAX_PER_CALL due entries (fired or dropped): more may be due. */
    private List<Integer> again = List.of();

    public TimeTriggerScheduler(RedissonClient redis, Keys keys, String leaseValue, long intervalMs,
                                ProcessorListener metrics) {
        this.redis = redis;
        this.keys = keys;
        this.leaseValue = leaseValue;
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
        this.metrics = metrics;
        this.blocked = new BlockedTimeTriggers(metrics);
    }

    public void load() {
        TIME_FIRE.load(redis);
    }

    /**
     * Handles a pass that has completed and, when the interval has passed (or a partition had more due
     * triggers than one call fires), sends the next one. Never waits for Redis: the loop goes on applying
     * while a pass is in flight.
     *
     * @return triggers fired by the pass handled in this call
     */
    public int runIfDue(Collection<Integer> owned, IntConsumer leaseLost) {
        int fired = inFlight != null && inFlight.isDone() ? finish(leaseLost) : 0;
        if (inFlight != null) {
            return fired;
        }
        long now = System.nanoTime();
        if (!again.isEmpty()) {
            send(again.stream().filter(owned::contains).toList()); // more due triggers: go again at once
        } else if (now >= nextRun && !owned.isEmpty()) {
            nextRun = now + intervalNanos;
            blocked.retain(owned);
            send(new ArrayList<>(owned));
        }
        return fired;
    }

    /**
     * Waits for the pass in flight and handles it. The loop calls it before it changes leases, so that
     * no script of a partition is in flight once its lease is released.
     *
     * @return triggers fired
     */
    public int drain(IntConsumer leaseLost) {
        if (inFlight == null) {
            return 0;
        }
        try {
            inFlight.toCompletableFuture().join();
        } catch (RuntimeException e) {
            // finish() reports it
        }
        return finish(leaseLost);
    }

    private void send(List<Integer> partitions) {
        again = List.of();
        if (partitions.isEmpty()) {
            return;
        }
        RBatch batch = redis.createBatch();
        List<RFuture<List<Object>>> replies = new ArrayList<>(partitions.size());
        for (int p : partitions) {
            replies.add(TIME_FIRE.evalAsync(batch.getScript(), RScript.ReturnType.LIST,
                    List.of(keys.lease(p), keys.schedule(p), keys.triggers(p), keys.firings(p)),
                    leaseValue, MAX_PER_CALL));
        }
        inFlightPartitions = partitions;
        inFlightReplies = replies;
        inFlight = batch.executeAsync();
    }

    /** Handles the completed pass: metrics, lost leases, partitions with more due triggers. */
    private int finish(IntConsumer leaseLost) {
        RFuture<?> done = inFlight;
        inFlight = null;
        List<Integer> partitions = inFlightPartitions;
        List<RFuture<List<Object>>> replies = inFlightReplies;
        try {
            done.toCompletableFuture().join();
        } catch (CompletionException e) {
            RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : e;
            if (LuaScript.isNoScript(cause)) {
                log.info("Redis forgot the time trigger script (restart or failover); loading it again");
                load();
                return 0;
            }
            throw cause;
        }
        int total = 0;
        List<Integer> more = new ArrayList<>();
        for (int i = 0; i < partitions.size(); i++) {
            List<Object> reply = replies.get(i).toCompletableFuture().join();
            if ("LEASE_LOST".equals(reply.get(0))) {
                leaseLost.accept(partitions.get(i));
                continue;
            }
            if ("BLOCKED".equals(reply.get(0))) {
                blocked.blocked(partitions.get(i), String.valueOf(reply.get(1)));
                continue;
            }
            blocked.notBlocked(partitions.get(i));
            int fired = Integer.parseInt(String.valueOf(reply.get(1)));
            for (int j = 2; j < reply.size(); j++) {
                metrics.timeTriggerLateness(Long.parseLong(String.valueOf(reply.get(j))));
            }
            if (fired > 0) {
                metrics.triggersFired("time", fired);
                total += fired;
            }
            if ("MORE".equals(reply.get(0))) { // a full call: more may be due, behind entries that fired nothing too
                more.add(partitions.get(i));
            }
        }
        again = more;
        return total;
    }
}
