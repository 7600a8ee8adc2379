package io.tally.processor.internal.housekeeping;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Counts repeating time triggers stored without a share of {@code :time-rate} (created by a version before shares
 * were kept) in their partition's sum, so that {@code max-time-firings-per-second} sees them
 * ({@code time_rate_backfill.lua}). Walks each owned partition's triggers hash with HSCAN, one page per run; the
 * cursor lives here, so a new owner starts a fresh pass, and passes repeat, since a client of an older version may
 * still store such triggers. A trigger gets its share once: the script stores it with the sum. A finished trigger
 * still holding a share (canceled by a client of an older version) gives it back.
 */
final class TimeRateBackfill {
    private static final Logger log = LoggerFactory.getLogger(TimeRateBackfill.class);
    static final LuaScript SCRIPT = LuaScript.resource("time_rate_backfill");
    /** HSCAN COUNT hint: fields (about 4 to 6 per trigger) looked at per partition and run. */
    static final int SCAN_COUNT = 2000;

    private final Keys keys;
    private final String leaseValue;
    private final Map<Integer, String> cursors = new HashMap<>();

    TimeRateBackfill(Keys keys, String leaseValue) {
        this.keys = keys;
        this.leaseValue = leaseValue;
    }

    static void load(RedissonClient redis) {
        SCRIPT.load(redis);
    }

    /** A queued call for one partition. */
    record Step(int partition, RFuture<List<Object>> reply) {
    }

    /** Queues one partition's next page. */
    void queue(RBatch batch, int p, List<Step> steps) {
        steps.add(new Step(p, SCRIPT.evalAsync(batch.getScript(), RScript.ReturnType.LIST,
                List.of(keys.lease(p), keys.triggers(p)), leaseValue, cursors.getOrDefault(p, "0"), SCAN_COUNT)));
    }

    /** Reads the replies once the pipeline ran: keeps cursors, logs what was counted, reports lost leases. */
    void settle(List<Step> steps, StepReplies replies, IntConsumer leaseLost) {
        for (Step s : steps) {
            List<Object> reply = replies.reply(s.partition(), "time-rate backfill", s.reply());
            if (reply == null) {
                continue; // refused (a field another program wrote): the same page goes again at the next run
            }
            if ("LEASE_LOST".equals(reply.get(0))) {
                cursors.remove(s.partition());
                leaseLost.accept(s.partition());
                continue;
            }
            cursors.put(s.partition(), String.valueOf(reply.get(1)));
            long counted = ((Number) reply.get(2)).longValue();
            if (counted > 0) {
                log.info("partition {}: {} repeating time trigger(s) stored without a share of :time-rate are now "
                        + "counted in it (max-time-firings-per-second)", s.partition(), counted);
            }
            long givenBack = ((Number) reply.get(3)).longValue();
            if (givenBack > 0) {
                log.info("partition {}: {} finished trigger(s) that a cancel of an older version left counted in "
                        + ":time-rate gave their share back", s.partition(), givenBack);
            }
        }
    }

    /** Forgets the scan cursors of partitions no longer owned. */
    void retain(Collection<Integer> owned) {
        cursors.keySet().retainAll(owned);
    }
}
