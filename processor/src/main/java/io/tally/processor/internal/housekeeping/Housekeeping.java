package io.tally.processor.internal.housekeeping;

import io.tally.common.internal.redis.RedisFailures;
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
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * Periodic upkeep of owned partitions, fenced like everything else: trims input streams up to what
 * every consumer group has acknowledged and the checkpoint has passed, applies the output retention
 * (firings, dead letters, finished triggers; see {@link OutputRetention}), counts repeating time triggers stored
 * without a share in {@code :time-rate} ({@link TimeRateBackfill}), deletes series buckets past
 * their window's retention, and deletes consumers of dead processor instances once they own no pending
 * entry. All of it goes to Redis in one pipeline per run; a script Redis refuses costs only its own step.
 */
public final class Housekeeping {
    private static final Logger log = LoggerFactory.getLogger(Housekeeping.class);
    private static final LuaScript RETENTION = LuaScript.resource("retention");
    private static final LuaScript CONSUMERS_GC = LuaScript.resource("consumers_gc");
    private static final LuaScript SERIES_RETENTION = LuaScript.resource("series_retention");
    /** Series keys deleted per partition and pass; a backlog is worked off over the next passes. */
    private static final int SERIES_KEYS_PER_PASS = 2000;
    private static final String[] TOPICS = {"ops", "events"};

    private final RedissonClient redis;
    private final Keys keys;
    private final String leaseValue;
    private final long intervalNanos;
    private final long consumerIdleMs;
    private final ProcessorListener metrics;
    private final OutputRetention output;
    private final TimeRateBackfill timeRates;
    private long nextRun;

    /**
     * @param intervalMs     time between runs
     * @param consumerIdleMs how long a dead processor's consumer must be idle before it is deleted
     * @param retention      how long firings, dead letters and finished triggers are kept
     */
    public Housekeeping(RedissonClient redis, Keys keys, String leaseValue, long intervalMs, long consumerIdleMs,
                        Retention retention, ProcessorListener metrics) {
        this.redis = redis;
        this.output = new OutputRetention(keys, leaseValue, retention);
        this.timeRates = new TimeRateBackfill(keys, leaseValue);
        this.keys = keys;
        this.leaseValue = leaseValue;
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
        this.consumerIdleMs = consumerIdleMs;
        this.metrics = metrics;
        this.nextRun = System.nanoTime() + intervalNanos;
    }

    public void load() {
        RETENTION.load(redis);
        CONSUMERS_GC.load(redis);
        OutputRetention.load(redis);
        TimeRateBackfill.load(redis);
        SERIES_RETENTION.load(redis);
    }

    /** Runs when due; partitions whose lease turns out lost are reported. */
    public void run(Collection<Integer> owned, List<String> liveMembers, IntConsumer leaseLost) {
        if (System.nanoTime() < nextRun || owned.isEmpty()) {
            return;
        }
        nextRun = System.nanoTime() + intervalNanos;
        RBatch batch = redis.createBatch();
        List<Trim> trims = new ArrayList<>();
        List<OutputRetention.Step> steps = new ArrayList<>();
        List<TimeRateBackfill.Step> backfills = new ArrayList<>();
        output.retain(owned);
        timeRates.retain(owned);
        for (int p : owned) {
            output.queue(batch, p, steps);
            timeRates.queue(batch, p, backfills);
            queueTrims(batch, p, liveMembers, trims);
        }
        try {
            batch.execute();
        } catch (RuntimeException e) {
            if (LuaScript.isNoScript(e)) {
                load(); // Redis forgot the scripts: every step failed, the next run sends them again
                log.warn("housekeeping failed: {}", RedisFailures.line(e, null));
                return;
            }
            // a script Redis refused fails the pipeline's result, yet every other script ran: read their replies
        }
        StepReplies replies = new StepReplies();
        output.settle(steps, replies, leaseLost, metrics);
        timeRates.settle(backfills, replies, leaseLost);
        settle(trims, replies, leaseLost);
        replies.logRefusals();
    }

    /** Queues one partition's series retention and, per input stream, its trim and consumer clean-up. */
    private void queueTrims(RBatch batch, int p, List<String> liveMembers, List<Trim> trims) {
        trims.add(new Trim(p, null, SERIES_RETENTION.evalAsync(batch.getScript(), RScript.ReturnType.LIST,
                List.of(keys.lease(p), keys.seriesIndex(p), keys.seriesPrefix(p), keys.hllBucketPrefix(p)),
                leaseValue, SERIES_KEYS_PER_PASS)));
        for (String topic : TOPICS) {
            String stream = "ops".equals(topic) ? keys.ops(p) : keys.events(p);
            List<Object> scriptKeys = List.of(stream, keys.lease(p));
            // never past the checkpoint: an entry acknowledged outside Tally is not applied yet
            RFuture<List<Object>> trim = RETENTION.evalAsync(batch.getScript(), RScript.ReturnType.LIST,
                    List.of(stream, keys.lease(p), keys.checkpoint(p)), leaseValue, "", topic);
            List<Object> argv = new ArrayList<>(liveMembers.size() + 2);
            argv.add(leaseValue);
            argv.add(consumerIdleMs);
            argv.addAll(liveMembers);
            CONSUMERS_GC.evalAsync(batch.getScript(), RScript.ReturnType.LIST, scriptKeys, argv.toArray());
            trims.add(new Trim(p, topic, trim));
        }
    }

    /** Reads the trims' replies once the pipeline ran: counts what they removed, reports lost leases. */
    private void settle(List<Trim> trims, StepReplies replies, IntConsumer leaseLost) {
        for (Trim t : trims) {
            List<Object> reply = replies.reply(t.partition(), t.topic() == null ? "series" : t.topic(), t.reply());
            if (reply == null) {
                continue;
            }
            if ("LEASE_LOST".equals(reply.get(0))) {
                leaseLost.accept(t.partition());
                continue;
            }
            long trimmed = ((Number) reply.get(1)).longValue();
            if (trimmed > 0 && t.topic() == null) {
                metrics.seriesBucketsExpired(trimmed);
            } else if (trimmed > 0) {
                metrics.trimmed(t.topic(), trimmed);
            }
        }
    }

    /** A retention script's reply; {@code topic} is null for series retention. */
    private record Trim(int partition, String topic, RFuture<List<Object>> reply) {
    }
}
