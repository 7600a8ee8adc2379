package io.tally.processor.internal.housekeeping;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.processor.ProcessorListener;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Age-based retention of a partition's output: firings, dead letters and finished triggers. Each step
 * is a lease-fenced script on Redis time queued into the housekeeping pipeline.
 *
 * <p>Firings are trimmed by age but never past what a consumer group has not acknowledged (the same
 * floor as the input streams), so a slow or stopped {@code FiringsConsumer} loses nothing; its
 * firings stay until it acknowledges them (watch the firings lag). Finished triggers are found by
 * walking the triggers hash with HSCAN, one page per partition and run; the cursor lives here, so a
 * new owner simply starts a fresh pass.
 */
final class OutputRetention {
    static final LuaScript STREAM = LuaScript.resource("retention");
    static final LuaScript TRIGGERS = LuaScript.resource("triggers_retention");
    /** HSCAN COUNT hint: fields (about 4 to 6 per trigger) looked at per partition and run. */
    static final int SCAN_COUNT = 2000;

    private final Keys keys;
    private final String leaseValue;
    private final Retention retention;
    private final Map<Integer, String> cursors = new HashMap<>();

    OutputRetention(Keys keys, String leaseValue, Retention retention) {
        this.keys = keys;
        this.leaseValue = leaseValue;
        this.retention = retention;
    }

    static void load(RedissonClient redis) {
        STREAM.load(redis);
        TRIGGERS.load(redis);
    }

    /** A queued script: what it trims ({@code firings}, {@code dlq}, {@code firings-dlq}, {@code triggers}). */
    record Step(int partition, String what, RFuture<List<Object>> reply) {
    }

    /** Queues the steps for one partition; none when every retention is 0 (keep forever). */
    void queue(RBatch batch, int p, List<Step> steps) {
        trimStream(batch, p, "firings", keys.firings(p), retention.firingsMs(), steps);
        trimStream(batch, p, "dlq", keys.dlq(p), retention.deadLettersMs(), steps);
        trimStream(batch, p, "firings-dlq", keys.firingsDlq(p), retention.deadLettersMs(), steps);
        if (retention.finishedTriggersMs() > 0) {
            List<Object> scriptKeys = List.of(keys.lease(p), keys.triggers(p), keys.schedule(p),
                    keys.triggersByEvent(p), keys.triggersByCounter(p));
            steps.add(new Step(p, "triggers", TRIGGERS.evalAsync(batch.getScript(), RScript.ReturnType.LIST, scriptKeys,
                    leaseValue, retention.finishedTriggersMs(), cursors.getOrDefault(p, "0"), SCAN_COUNT)));
        }
    }

    /** Reads the replies once the pipeline ran: counts removals, keeps cursors, reports lost leases. */
    void settle(List<Step> steps, StepReplies replies, IntConsumer leaseLost, ProcessorListener metrics) {
        for (Step s : steps) {
            List<Object> reply = replies.reply(s.partition(), s.what(), s.reply());
            if (reply == null) {
                continue; // refused: a triggers step keeps its cursor and goes again
            }
            if ("LEASE_LOST".equals(reply.get(0))) {
                cursors.remove(s.partition());
                leaseLost.accept(s.partition());
                continue;
            }
            long removed;
            if ("triggers".equals(s.what())) {
                cursors.put(s.partition(), String.valueOf(reply.get(1)));
                removed = ((Number) reply.get(2)).longValue();
            } else {
                removed = ((Number) reply.get(1)).longValue();
            }
            if (removed > 0) {
                metrics.trimmed(s.what(), removed);
            }
        }
    }

    /** Forgets the scan cursors of partitions no longer owned. */
    void retain(Collection<Integer> owned) {
        cursors.keySet().retainAll(owned);
    }

    private void trimStream(RBatch batch, int p, String what, String stream, long retentionMs, List<Step> steps) {
        if (retentionMs > 0) {
            steps.add(new Step(p, what, STREAM.evalAsync(batch.getScript(), RScript.ReturnType.LIST,
                    List.of(stream, keys.lease(p)), leaseValue, retentionMs)));
        }
    }
}
