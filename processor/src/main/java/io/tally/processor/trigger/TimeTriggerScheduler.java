package io.tally.processor.trigger;

import io.tally.common.keys.Keys;
import io.tally.common.redis.LuaScript;
import io.tally.processor.ProcessorMetrics;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * Fires due time triggers of the owned partitions. Every {@code trigger-poll-ms} one script per owned
 * partition (pipelined) runs on Redis time, fenced by the lease like the apply script: it appends the
 * firings, updates the triggers' state and reschedules repeating ones on their {@code at + k*every}
 * grid. Periods missed while the partition had no owner are merged into one firing ({@code missed}).
 *
 * <p>Runs on the processor loop's thread, so no script of a partition is in flight once its lease is
 * released.
 */
public final class TimeTriggerScheduler {
    private static final Logger log = LoggerFactory.getLogger(TimeTriggerScheduler.class);
    private static final LuaScript TIME_FIRE = LuaScript.resource("time_fire");
    /** Most triggers one script fires; more due ones are fired by the next call of the same round. */
    private static final int MAX_PER_CALL = 200;

    private final RedissonClient redis;
    private final Keys keys;
    private final String leaseValue;
    private final long intervalNanos;
    private final ProcessorMetrics metrics;
    private long nextRun;

    public TimeTriggerScheduler(RedissonClient redis, Keys keys, String leaseValue, long intervalMs,
                                ProcessorMetrics metrics) {
        this.redis = redis;
        this.keys = keys;
        this.leaseValue = leaseValue;
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
        this.metrics = metrics;
    }

    public void load() {
        TIME_FIRE.load(redis);
    }

    /** Nanos (System.nanoTime) at which {@link #runIfDue} next has work to do. */
    public long nextRun() {
        return nextRun;
    }

    /**
     * Fires due triggers of {@code owned} when the interval has passed.
     *
     * @return triggers fired
     */
    public int runIfDue(Collection<Integer> owned, IntConsumer leaseLost) {
        long now = System.nanoTime();
        if (now < nextRun || owned.isEmpty()) {
            return 0;
        }
        nextRun = now + intervalNanos;
        int total = 0;
        List<Integer> pending = new ArrayList<>(owned);
        // A partition that hit MAX_PER_CALL has more due triggers: go again at once for those only.
        while (!pending.isEmpty()) {
            Pass pass = fireOnce(pending, leaseLost);
            total += pass.fired();
            pending = pass.again();
        }
        return total;
    }

    /** One pipelined pass: triggers fired, and partitions that still have due triggers. */
    private record Pass(int fired, List<Integer> again) {
    }

    private Pass fireOnce(List<Integer> partitions, IntConsumer leaseLost) {
        RBatch batch = redis.createBatch();
        List<RFuture<List<Object>>> replies = new ArrayList<>(partitions.size());
        for (int p : partitions) {
            replies.add(TIME_FIRE.evalAsync(batch.getScript(), RScript.ReturnType.LIST,
                    List.of(keys.lease(p), keys.schedule(p), keys.triggers(p), keys.firings(p)),
                    leaseValue, MAX_PER_CALL));
        }
        try {
            batch.execute();
        } catch (RuntimeException e) {
            if (LuaScript.isNoScript(e)) {
                log.info("Redis forgot the time trigger script (restart or failover); loading it again");
                load();
                return new Pass(0, List.of());
            }
            throw e;
        }
        int total = 0;
        List<Integer> again = new ArrayList<>();
        for (int i = 0; i < partitions.size(); i++) {
            List<Object> reply = replies.get(i).toCompletableFuture().join();
            if ("LEASE_LOST".equals(reply.get(0))) {
                leaseLost.accept(partitions.get(i));
                continue;
            }
            int fired = Integer.parseInt(String.valueOf(reply.get(1)));
            for (int j = 2; j < reply.size(); j++) {
                metrics.timeTriggerLateness(Long.parseLong(String.valueOf(reply.get(j))));
            }
            if (fired > 0) {
                metrics.triggersFired("time", fired);
                total += fired;
            }
            if (reply.size() - 2 >= MAX_PER_CALL) {
                again.add(partitions.get(i));
            }
        }
        return new Pass(total, again);
    }
}
