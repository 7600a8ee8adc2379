package io.tally.producer.internal;

import io.tally.common.internal.concurrent.DaemonThreads;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.log.KeyedWarnings;
import io.tally.common.internal.redis.LuaScript;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Samples each partition's backlog (slowest group's lag plus pending, from XINFO GROUPS) once a
 * second, so that sends to a partition past the limit fail fast instead of filling Redis.
 */
final class BacklogMonitor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BacklogMonitor.class);
    private static final LuaScript BACKLOG = LuaScript.resource("backlog");
    static final long INTERVAL_MS = 1000;
    /** At most one WARN line per faulty key (or partition) in this long: a fault lasts for every sample. */
    static final long WARN_INTERVAL_MS = 60_000;
    /** Input streams per partition: ops and events. */
    private static final int TOPICS = 2;
    /** The WARN subject of samples that failed (not a key's fault). */
    private static final String SAMPLE_FAILED = "sample failed";

    private final RedissonClient redis;
    private final Keys keys;
    private final long limit;
    private final AtomicLongArray backlog;
    private final ScheduledExecutorService timer;
    private final KeyedWarnings warnings = new KeyedWarnings(log, WARN_INTERVAL_MS);
    /** Per partition and topic (ops, events: {@link Keys#inputStreams}): the type of a stream key of another type. */
    private final AtomicReferenceArray<String> foreignTypes;

    BacklogMonitor(RedissonClient redis, Keys keys, int partitions, long limit) {
        this.redis = redis;
        this.keys = keys;
        this.limit = limit;
        this.backlog = new AtomicLongArray(partitions);
        this.foreignTypes = new AtomicReferenceArray<>(partitions * TOPICS);
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

    /**
     * The last sample's finding that a partition's stream is a key of another type (another program wrote it), so
     * that a send to it is refused naming the key instead of reaching Redis; empty when it is a stream, was not
     * sampled, or the limit is off.
     *
     * @param topic 0 for ops, 1 for events, as {@link Keys#inputStreams}
     */
    Optional<ForeignStream> foreignStream(int partition, int topic) {
        String type = foreignTypes.get(partition * TOPICS + topic);
        return type == null ? Optional.empty()
                : Optional.of(new ForeignStream(keys.inputStreams(partition).get(topic), type));
    }

    /** A partition's input stream key that holds another type: the key and its type. */
    record ForeignStream(String key, String type) {
    }

    /**
     * Samples every partition, each on its own: one partition's failure (a stream another program made a key of
     * another type, an error reply) never keeps another's value from being updated. A partition whose backlog
     * could not be read is not refused by the limit ({@code 0}), never held at a stale value; its stream that is a
     * key of another type is remembered, so that sends to it are refused naming the key ({@link #foreignStream}),
     * and its other stream, when readable, is still measured. Each such fault is logged as a throttled WARN.
     */
    private void sample() {
        try {
            sampleEach();
        } catch (RuntimeException e) {
            // the client closing under the timer: a task that throws would never run again
            log.debug("backlog sample failed: {}", e.toString());
        }
    }

    private void sampleEach() {
        List<RFuture<List<Object>>> replies = new ArrayList<>();
        for (int p = 0; p < backlog.length(); p++) {
            replies.add(BACKLOG.evalAsync(redis.getScript(), RScript.ReturnType.LIST,
                    new ArrayList<>(keys.inputStreams(p))));
        }
        boolean reload = false;
        int failed = 0;
        String firstFailure = null;
        for (int p = 0; p < replies.size(); p++) {
            try {
                backlog.set(p, worstReadable(p, replies.get(p).toCompletableFuture().join()));
            } catch (RuntimeException e) {
                backlog.set(p, 0);
                for (int t = 0; t < TOPICS; t++) {
                    foreignTypes.set(p * TOPICS + t, null);
                }
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                if (LuaScript.isNoScript(cause)) {
                    reload = true;
                } else if (failed++ == 0) {
                    firstFailure = "partition " + p + ": " + cause;
                }
            }
        }
        if (failed == 0) {
            warnings.clear(SAMPLE_FAILED);
        } else {
            // one line for them all: Redis down fails every partition's sample
            warnings.warn(SAMPLE_FAILED, "backlog of {} partition(s) could not be read (first: {}); until it is, "
                    + "backlog-limit does not refuse their sends", failed, firstFailure);
        }
        if (reload) {
            BACKLOG.load(redis);
        }
    }

    /** The worst backlog of the partition's streams that are streams; a key of another type is named in a WARN. */
    private long worstReadable(int partition, List<Object> reply) {
        List<String> streams = keys.inputStreams(partition);
        long worst = 0;
        for (int i = 0; i < reply.size(); i++) {
            Object v = reply.get(i);
            String key = i < streams.size() ? streams.get(i) : "?";
            if (v instanceof Number n) {
                worst = Math.max(worst, n.longValue());
                warnings.clear(key);
                foreignTypes.set(partition * TOPICS + i, null);
            } else {
                foreignTypes.set(partition * TOPICS + i, String.valueOf(v));
                warnings.warn(key, "backlog of partition {}: key {} holds a {}, not a stream (another program wrote "
                        + "it); its backlog is not measured and sends to it are refused naming the key until it is "
                        + "deleted (docs/operations.md)", partition, key, v);
            }
        }
        return worst;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
