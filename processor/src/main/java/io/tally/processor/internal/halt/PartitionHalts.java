package io.tally.processor.internal.halt;

import io.tally.common.internal.redis.RedisFailures;
import io.tally.common.internal.keys.Keys;
import io.tally.processor.ProcessorListener;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
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
 * <p>Two kinds of halt are kept apart, since they start and end for different reasons: the apply path's
 * ({@value #UNKNOWN_VERSION}, {@value #POISON_RETRYING}, {@value #REDIS_REFUSED}), which the next applied
 * batch ends, and {@value #STREAM_ID_EXHAUSTED}, a warning about a stream's ids that only
 * {@link StreamIdWatch} sets and clears while the partition goes on applying. Both show in the gauge; the
 * readiness detail and the hash show the apply path's halt when there is one, else the warning.
 */
public final class PartitionHalts {
    /** An entry with a wire format version this processor does not know. */
    public static final String UNKNOWN_VERSION = "unknown_version";
    /** A batch keeps failing with a script error; it is being narrowed to the entry that causes it. */
    public static final String POISON_RETRYING = "poison_retrying";
    /**
     * Redis refuses the partition's scripts (OOM, NOPERM, READONLY, WRONGTYPE...), or they refuse a key of the
     * partition that cannot take their writes (BADKEY, naming the key): backing off.
     */
    public static final String REDIS_REFUSED = "redis_refused";
    /**
     * An input stream's last generated id lies far ahead of Redis time (a writer chose it): every later
     * {@code XADD *} fails (at the maximal id) or writes ids in the future, until {@code tally repair
     * stream-ids} resets it. The partition still applies what is in its streams.
     */
    public static final String STREAM_ID_EXHAUSTED = "stream_id_exhausted";

    private static final Logger log = LoggerFactory.getLogger(PartitionHalts.class);
    static final Duration TTL = Duration.ofSeconds(60);
    private static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(15);

    /** One halt: why, since when (epoch ms), and what was seen. */
    public record Halt(String reason, String detail, long sinceMs) {
    }

    private final RedissonClient redis;
    private final Keys keys;
    private final String processor;
    private final ProcessorListener metrics;
    /** Halts of the apply path, ended by the next batch that applies. */
    private final Map<Integer, Halt> applying = new ConcurrentHashMap<>();
    /** {@value #STREAM_ID_EXHAUSTED} warnings, set and cleared by {@link StreamIdWatch} only. */
    private final Map<Integer, Halt> streamIds = new ConcurrentHashMap<>();
    /** What the hash of each partition holds, and when it was written (nanoTime). */
    private final Map<Integer, Halt> shownInRedis = new ConcurrentHashMap<>();
    private final Map<Integer, Long> written = new ConcurrentHashMap<>();

    public PartitionHalts(RedissonClient redis, Keys keys, String processor, ProcessorListener metrics) {
        this.redis = redis;
        this.keys = keys;
        this.processor = processor;
        this.metrics = metrics;
    }

    /** Marks the partition halted by the apply path (or refreshes its halt); writes to Redis only on a change or when due. */
    public void halt(int partition, String reason, String detail) {
        set(applying, partition, reason, detail);
    }

    /** The apply path progresses again; a {@value #STREAM_ID_EXHAUSTED} warning stays. */
    public void resume(int partition) {
        Halt before = applying.remove(partition);
        if (before == null) {
            return;
        }
        metrics.partitionHalted(partition, before.reason(), false);
        publish(partition);
        log.info("partition {}: no longer halted ({} since {} ms ago); applying again", partition, before.reason(),
                System.currentTimeMillis() - before.sinceMs());
    }

    /**
     * Sets ({@code detail} not null) or clears the partition's {@value #STREAM_ID_EXHAUSTED} warning.
     * Returns true when this changed whether the partition has one.
     */
    boolean streamIds(int partition, String detail) {
        if (detail != null) {
            boolean fresh = !streamIds.containsKey(partition);
            set(streamIds, partition, STREAM_ID_EXHAUSTED, detail);
            return fresh;
        }
        Halt before = streamIds.remove(partition);
        if (before == null) {
            return false;
        }
        metrics.partitionHalted(partition, before.reason(), false);
        publish(partition);
        return true;
    }

    /** No longer owned: the next owner reports the partition; the hash in Redis expires. */
    public void forget(int partition) {
        for (Map<Integer, Halt> halts : List.of(applying, streamIds)) {
            Halt before = halts.remove(partition);
            if (before != null) {
                metrics.partitionHalted(partition, before.reason(), false);
            }
        }
        shownInRedis.remove(partition);
        written.remove(partition);
    }

    /**
     * Halted partitions, in partition order, with the apply path's halt where a partition has both; safe to
     * read from any thread.
     */
    public Map<Integer, Halt> current() {
        Map<Integer, Halt> out = new TreeMap<>(streamIds);
        out.putAll(applying);
        return Collections.unmodifiableMap(out);
    }

    private Halt shown(int partition) {
        Halt h = applying.get(partition);
        return h != null ? h : streamIds.get(partition);
    }

    private void set(Map<Integer, Halt> halts, int partition, String reason, String detail) {
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
        publish(partition);
    }

    /** Brings the partition's hash in line with the halt it shows: rewritten on a change or when due, deleted when none. */
    private void publish(int partition) {
        Halt show = shown(partition);
        if (show == null) {
            written.remove(partition);
            if (shownInRedis.remove(partition) != null) {
                delete(partition);
            }
            return;
        }
        Long at = written.get(partition);
        if (!show.equals(shownInRedis.get(partition)) || at == null || System.nanoTime() - at > REFRESH_NANOS) {
            write(partition, show);
        }
    }

    private void delete(int partition) {
        try {
            redis.getBucket(keys.halt(partition), StringCodec.INSTANCE).delete();
        } catch (RuntimeException e) {
            log.warn("partition {}: could not delete {} ({}); it expires within {} s", partition,
                    keys.halt(partition), e.toString(), TTL.toSeconds());
        }
    }

    private void write(int partition, Halt halt) {
        written.put(partition, System.nanoTime());
        shownInRedis.put(partition, halt);
        try {
            var map = redis.<String, String>getMap(keys.halt(partition), StringCodec.INSTANCE);
            map.putAll(Map.of("reason", halt.reason(), "detail", halt.detail(), "since", Long.toString(halt.sinceMs()),
                    "processor", processor));
            map.expire(TTL);
        } catch (RuntimeException e) {
            log.warn("partition {}: could not record its halt in {} ({})", partition, keys.halt(partition), RedisFailures.line(e, null));
        }
    }
}
