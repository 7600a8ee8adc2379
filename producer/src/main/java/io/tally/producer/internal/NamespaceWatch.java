package io.tally.producer.internal;

import io.tally.common.internal.concurrent.DaemonThreads;
import io.tally.common.internal.keys.DedupeLayout;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.NamespaceMissingException;
import io.tally.producer.SendFailedException;
import io.tally.producer.TallyException;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Re-reads {@code <ns>:meta} every {@value #INTERVAL_MS} ms while the producer runs. Redis may lose
 * its data under a running producer; until a processor restores the namespace, sends wait (up to
 * send-timeout-ms), and if it comes back with another P, partition tag rule or dedupe layout they fail: entries
 * routed with this producer's P, or written to its keys, would land where no processor reads.
 */
final class NamespaceWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NamespaceWatch.class);
    static final long INTERVAL_MS = 250;

    private final RedissonClient redis;
    private final Keys keys;
    private final int partitions;
    private final DedupeLayout dedupe;
    private final String where;
    private final ScheduledExecutorService timer;
    /** Why sends must not go out now; null while the namespace is there with this producer's P. */
    private volatile TallyException blocked;
    private volatile boolean missing;
    /** What the last check saw, for logging each change once. */
    private String state = "ok";

    NamespaceWatch(RedissonClient redis, Keys keys, int partitions, DedupeLayout dedupe, String where) {
        this.redis = redis;
        this.keys = keys;
        this.partitions = partitions;
        this.dedupe = dedupe;
        this.where = where;
        this.timer = DaemonThreads.scheduler("tally-namespace-watch");
        timer.scheduleWithFixedDelay(this::check, INTERVAL_MS, INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    /** Why sends must not go out now, or null. */
    TallyException blocked() {
        return blocked;
    }

    /** True while the namespace is missing: sends wait for it instead of failing at once. */
    boolean missing() {
        return missing;
    }

    private void check() {
        Namespace.Meta stored;
        try {
            stored = Namespace.stored(redis, keys.namespace());
        } catch (RuntimeException e) {
            return; // Redis unreachable: the sends themselves report it
        }
        Namespace.Meta ours = new Namespace.Meta(partitions, keys.tags().rule(), dedupe.stored());
        boolean same = ours.equals(stored);
        TallyException now = null;
        if (stored == null) {
            now = new SendFailedException(new NamespaceMissingException(keys.namespace(), keys.meta(), where)
                    .getMessage(), true, null);
        } else if (!same) {
            now = new SendFailedException("namespace '" + keys.namespace() + "' now has " + stored
                    + " (stored in " + keys.meta() + "), but this producer writes with " + ours
                    + "; Redis lost its data and the namespace was created again with another P, other partition "
                    + "keys or another dedupe layout. Restart the producer once the processors run with the namespace they should have",
                    false, null);
        }
        String state = stored == null ? "missing" : !same ? stored.toString() : "ok";
        boolean changed = !state.equals(this.state);
        this.state = state;
        missing = stored == null;
        blocked = now;
        if (changed && now != null) {
            log.error("producer: {}; sends {}", now.getMessage(), missing ? "wait up to send-timeout-ms" : "fail");
        } else if (changed) {
            log.warn("producer: namespace '{}' is back with {}; sending again", keys.namespace(), stored);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
