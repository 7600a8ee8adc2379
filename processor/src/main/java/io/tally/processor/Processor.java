package io.tally.processor;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisVersion;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.processor.engine.ProcessorLoop;
import io.tally.processor.engine.RedisStateGuard;
import io.tally.processor.lease.Leases;
import io.tally.processor.membership.Membership;
import io.tally.processor.trigger.TimeTriggerScheduler;
import io.tally.processor.worker.ApplyRound;
import io.tally.processor.worker.Housekeeping;
import io.tally.processor.worker.Retention;
import io.tally.processor.worker.HotPath;
import io.tally.processor.worker.PartitionHalts;
import io.tally.processor.worker.StreamIdWatch;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A Tally processor: joins the namespace's membership, takes its share of the partitions under
 * leases, and applies their entries exactly once until {@link #close()}.
 *
 * <p>{@code close()} finishes the batch in hand, releases the leases at once (so other processors
 * take over without waiting for the TTL) and leaves the membership.
 */
public final class Processor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Processor.class);
    /** Interval of retention and consumer clean-up on owned partitions. */
    static final long HOUSEKEEPING_MS = 10_000;

    private final RedissonClient redis;
    private final boolean ownsClient;
    private final String instanceId;
    private final int partitions;
    private final ProcessorLoop loop;
    private final Thread thread;

    private Processor(RedissonClient redis, boolean ownsClient, TallyConfig config, ProcessorMetrics metrics,
                      LuaScript applyScript) {
        this.redis = redis;
        this.ownsClient = ownsClient;
        RedisVersion.requireSupported(redis, config);
        Namespace.requireNoEviction(redis, config.get(TallyConfig.REDIS_MODE));
        Namespace ns = Namespace.create(redis, config);
        this.partitions = ns.partitions();
        this.instanceId = processorName(config) + ":" + HexFormat.of().formatHex(new SecureRandom().generateSeed(6));
        long ttl = config.get(TallyConfig.LEASE_TTL_MS);
        Membership membership = new Membership(redis, ns.keys(), instanceId, config.memberTimeoutMs());
        Leases leases = new Leases(redis, ns.keys(), instanceId, ttl);
        ApplyRound round = ApplyRound.withApplyScript(redis, ns.keys(), partitions, instanceId,
                config.get(TallyConfig.BATCH_SIZE), metrics, config.get(TallyConfig.SERIES_WINDOWS),
                config.get(TallyConfig.SERIES_FUTURE_MS), config.get(TallyConfig.MAX_FIRINGS_PER_CALL),
                config.get(TallyConfig.IDLE_POLL_MS),
                config.get(TallyConfig.FAST_PATH_MIN_READ), HotPath.from(config), applyScript);
        Housekeeping housekeeping = new Housekeeping(redis, ns.keys(), instanceId, HOUSEKEEPING_MS,
                Math.max(60_000, 3 * ttl), Retention.from(config), metrics);
        TimeTriggerScheduler scheduler = new TimeTriggerScheduler(redis, ns.keys(), instanceId,
                config.get(TallyConfig.TRIGGER_POLL_MS), metrics);
        StreamIdWatch streamIds = new StreamIdWatch(redis, ns.keys(), round.halts());
        leases.load();
        scheduler.load();
        round.load();
        housekeeping.load();
        streamIds.load();
        RedisStateGuard guard = new RedisStateGuard(redis, ns, config.get(TallyConfig.REDIS_MODE), config.redisUrl(),
                metrics);
        this.loop = new ProcessorLoop(ns.keys(), partitions, instanceId, membership, leases, round, housekeeping,
                streamIds, scheduler, guard, metrics, config.redisUrl(), config.get(TallyConfig.TICK_MS), ttl,
                config.memberTimeoutMs());
        this.thread = new Thread(loop, "tally-processor");
        log.info("processor {} starting on namespace '{}' with {} partitions", instanceId, config.namespace(), partitions);
        thread.start();
    }

    /** Starts a processor with its own Redis client. */
    public static Processor start(TallyConfig config, ProcessorMetrics metrics) {
        RedissonClient redis = RedisClientFactory.create(config);
        try {
            return new Processor(redis, true, config, metrics, ApplyRound.APPLY);
        } catch (RuntimeException e) {
            redis.shutdown();
            throw e;
        }
    }

    /** Starts a processor on a shared Redis client, which {@link #close()} leaves open. */
    public static Processor start(RedissonClient redis, TallyConfig config, ProcessorMetrics metrics) {
        return new Processor(redis, false, config, metrics, ApplyRound.APPLY);
    }

    /**
     * For tests only: a processor whose apply.lua is replaced by {@code applyScript}, a real script that
     * fails on chosen entries, to drive the isolation of a poison entry through real Redis.
     */
    static Processor startWithApplyScript(RedissonClient redis, TallyConfig config, ProcessorMetrics metrics,
                                          LuaScript applyScript) {
        return new Processor(redis, false, config, metrics, applyScript);
    }

    /** {@code <processor id>:<token>}: member id, consumer name and lease value of this run. */
    public String instanceId() {
        return instanceId;
    }

    public int partitions() {
        return partitions;
    }

    /** Partitions this processor holds right now. */
    public Set<Integer> ownedPartitions() {
        return loop.owned();
    }

    /**
     * Owned partitions that cannot progress right now (an entry of unknown version, a batch being narrowed
     * to its poison entry, Redis refusing the scripts, a stream whose ids a writer pushed far ahead), and why.
     */
    public Map<Integer, PartitionHalts.Halt> haltedPartitions() {
        return loop.halted();
    }

    /**
     * Ready: Redis answers, the processor is registered in the membership, and applying is not paused
     * (see {@link #pausedFor()}).
     */
    public boolean ready() {
        return loop.ready();
    }

    /** Why applying is paused although Redis answers (an evicting maxmemory-policy), or null. */
    public String pausedFor() {
        return loop.pausedFor();
    }

    @Override
    public void close() {
        loop.stop();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ownsClient) {
            redis.shutdown(0, 2, TimeUnit.SECONDS);
        }
        log.info("processor {} stopped", instanceId);
    }

    private static String processorName(TallyConfig config) {
        String id = config.get(TallyConfig.PROCESSOR_ID);
        if (!id.isEmpty()) {
            return id;
        }
        try {
            return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "-");
        } catch (Exception e) {
            return "processor-" + ProcessHandle.current().pid();
        }
    }
}
