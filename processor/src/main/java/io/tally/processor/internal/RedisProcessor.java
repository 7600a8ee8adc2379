package io.tally.processor.internal;

import io.tally.common.config.TallyConfig;
import io.tally.processor.PartitionHalt;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisVersion;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.internal.redis.RedisFailures;
import io.tally.processor.internal.apply.ApplyRound;
import io.tally.processor.internal.apply.ApplyScripts;
import io.tally.processor.internal.engine.ProcessorLoop;
import io.tally.processor.internal.engine.RedisStateGuard;
import io.tally.processor.internal.halt.StreamIdWatch;
import io.tally.processor.internal.housekeeping.Housekeeping;
import io.tally.processor.internal.housekeeping.Retention;
import io.tally.processor.internal.ownership.Leases;
import io.tally.processor.internal.ownership.Membership;
import io.tally.processor.internal.transport.HotPath;
import io.tally.processor.internal.trigger.TimeTriggerScheduler;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * {@link Processor} on Redisson: wires membership, leases, the apply rounds, housekeeping, time triggers
 * and the Redis state guard into one {@link ProcessorLoop} on a thread of its own.
 */
public final class RedisProcessor implements Processor {
    private static final Logger log = LoggerFactory.getLogger(RedisProcessor.class);
    /** Interval of retention and consumer clean-up on owned partitions. */
    static final long HOUSEKEEPING_MS = 10_000;

    private final RedissonClient redis;
    private final boolean ownsClient;
    private final String processorId;
    private final String instanceId;
    private final int partitions;
    private final ProcessorLoop loop;
    private final Thread thread;

    private RedisProcessor(RedissonClient redis, boolean ownsClient, TallyConfig config, ProcessorListener metrics,
                           LuaScript applyScript) {
        this.redis = redis;
        this.ownsClient = ownsClient;
        RedisVersion.requireSupported(redis, config);
        Namespace.requireNoEviction(redis, config.get(TallyConfig.REDIS_MODE));
        Namespace ns = Namespace.createMeta(redis, config);
        this.partitions = ns.partitions();
        this.processorId = processorName(config);
        this.instanceId = processorId + ":" + HexFormat.of().formatHex(new SecureRandom().generateSeed(6));
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
        guard.createGroups();
        this.loop = new ProcessorLoop(ns.keys(), partitions, instanceId, membership, leases, round, housekeeping,
                streamIds, scheduler, guard, metrics, e -> RedisFailures.line(e, config), config.get(TallyConfig.TICK_MS), ttl,
                config.memberTimeoutMs());
        this.thread = new Thread(loop, "tally-processor");
        log.info("processor {} starting on namespace '{}' with {} partitions", instanceId, config.namespace(), partitions);
        thread.start();
    }

    /** Starts a processor with its own Redis client, closed with it. */
    public static RedisProcessor start(TallyConfig config, ProcessorListener metrics) {
        RedissonClient redis = RedisClientFactory.create(config);
        try {
            return new RedisProcessor(redis, true, config, metrics, ApplyScripts.APPLY);
        } catch (RuntimeException e) {
            redis.shutdown();
            throw e;
        }
    }

    /** Starts a processor on a shared Redis client, which {@link #close()} leaves open. */
    public static RedisProcessor start(RedissonClient redis, TallyConfig config, ProcessorListener metrics) {
        return new RedisProcessor(redis, false, config, metrics, ApplyScripts.APPLY);
    }

    /**
     * For tests only: a processor whose apply.lua is replaced by {@code applyScript}, a real script that
     * fails on chosen entries, to drive the isolation of a poison entry through real Redis.
     */
    public static RedisProcessor startWithApplyScript(RedissonClient redis, TallyConfig config,
                                                      ProcessorListener metrics, LuaScript applyScript) {
        return new RedisProcessor(redis, false, config, metrics, applyScript);
    }

    @Override
    public String processorId() {
        return processorId;
    }

    @Override
    public String instanceId() {
        return instanceId;
    }

    @Override
    public int partitions() {
        return partitions;
    }

    @Override
    public Set<Integer> ownedPartitions() {
        return loop.owned();
    }

    @Override
    public Map<Integer, PartitionHalt> haltedPartitions() {
        Map<Integer, PartitionHalt> out = new TreeMap<>();
        loop.halted().forEach((p, h) -> out.put(p, new PartitionHalt(h.reason(), h.detail(), h.sinceMs())));
        return out;
    }

    @Override
    public boolean ready() {
        return loop.ready();
    }

    @Override
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
