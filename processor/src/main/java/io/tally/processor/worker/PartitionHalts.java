package io.tally.processor.worker;

import io.tally.common.keys.Keys;
import io.tally.processor.ProcessorMetrics;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The owned partitions that cannot progress right now, and why: shown by the processor's
 * {@code /health/ready} detail, the {@code tally_processor_partition_halted} gauge and, through the
 * partition's {@code halt} hash in Redis, by {@code tally status}. The hash carries a TTL and is
 * rewritten while the halt lasts, so that a halt left by a processor that died or moved on expires.
 * Nothing here runs while every partition progresses: the apply path only checks a field.
 *
 * <p>Reasons: {@value #UNKNOWN_VERSION}, {@value #POISON_RETRYING}, {@value #REDIS_REFUSED}.
 */
public final class PartitionHalts {
    /** An entry with a wire format version this processor does not know. */
    public static final String UNKNOWN_VERSION = "unknown_version";
    /** A batch keeps failing with a script error; it is being narrowed to the entry that causes it. */
    public static final String POISON_RETRYING = "poison_retrying";
    /** Redis refuses the partition's scripts (OOM, NOPERM, READONLY, WRONGTYPE...): backing off. */
    public static final String REDIS_REFUSED = "redis_refused";

    private static final Logger log = LoggerFactory.getLogger(PartitionHalts.class);
    static final Duration TTL = Duration.ofSeconds(60);
    private static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(15);

    /** One halt: why, since when (epoch ms), and what was seen. */
    public record Halt(String reason, String detail, long sinceMs) {
    }

    private final RedissonClient redis;
    private final Keys keys;
    private final String processor;
    private final ProcessorMetrics metrics;
    private final Map<Integer, Halt> halts = new ConcurrentHashMap<>();
    private final Map<Integer, Long> written = new ConcurrentHashMap<>();

    PartitionHalts(RedissonClient redis, Keys keys, String processor, ProcessorMetrics metrics) {
        this.redis = redis;
        this.keys = keys;
        this.processor = processor;
        this.metrics = metrics;
    }

    /** Marks the partition halted (or refreshes its halt); writes to Redis only on a change or when due. */
    void halt(int partition, String reason, String detail) {
        Halt before = halts.get(partition);
        Halt now = before != null && before.reason().equals(reason) ? new Halt(reason, detail, before.sinceMs())
                : new Halt(reason, detail, System.currentTimeMillis());
        halts.put(partition, now);
        if (before == null || !before.reason().equals(reason)) {
            if (before != null) {
                metrics.partitionHalted(partition, before.reason(), false);
            }
            metrics.partitionHalted(partition, reason, true);
        }
        Long at = written.get(partition);
        if (before == null || !before.equals(now) || at == null || System.nanoTime() - at > REFRESH_NANOS) {
            write(partition, now);
        }
    }

    /** The partition progresses again. */
    void resume(int partition) {
        Halt before = halts.remove(partition);
        if (before == null) {
            return;
        }
        metrics.partitionHalted(partition, before.reason(), false);
        written.remove(partition);
        try {
            redis.getBucket(keys.halt(partition), StringCodec.INSTANCE).delete();
        } catch (RuntimeException e) {
            log.warn("partition {}: could not delete {} ({}); it expires within {} s", partition,
                    keys.halt(partition), e.toString(), TTL.toSeconds());
        }
        log.info("partition {}: no longer halted ({} since {} ms ago); applying again", partition, before.reason(),
                System.currentTimeMillis() - before.sinceMs());
    }

    /** No longer owned: the next owner reports the partition; the hash in Redis expires. */
    void forget(int partition) {
        Halt before = halts.remove(partition);
        written.remove(partition);
        if (before != null) {
            metrics.partitionHalted(partition, before.reason(), false);
        }
    }

    boolean halted(int partition, String reason) {
        Halt h = halts.get(partition);
        return h != null && h.reason().equals(reason);
    }

    /** Halted partitions, in partition order; safe to read from any thread. */
    public Map<Integer, Halt> current() {
        return Collections.unmodifiableMap(new TreeMap<>(halts));
    }

    private void write(int partition, Halt halt) {
        written.put(partition, System.nanoTime());
        try {
            var map = redis.<String, String>getMap(keys.halt(partition), StringCodec.INSTANCE);
            map.putAll(Map.of("reason", halt.reason(), "detail", halt.detail(), "since", Long.toString(halt.sinceMs()),
                    "processor", processor));
            map.expire(TTL);
        } catch (RuntimeException e) {
            log.warn("partition {}: could not record its halt in {} ({})", partition, keys.halt(partition), e.toString());
        }
    }
}
