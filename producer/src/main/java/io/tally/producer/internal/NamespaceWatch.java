package io.tally.producer.internal;

import io.tally.common.config.RedisMode;
import io.tally.common.internal.concurrent.DaemonThreads;
import io.tally.common.internal.keys.DedupeLayout;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisFailures;
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
 *
 * <p>Every {@value #POLICY_EVERY_MS} ms it also reads each master's {@code maxmemory-policy}: under a policy that
 * may evict keys (set at runtime), sends fail, retriable and not written, until it is {@code noeviction} again, as
 * the processors pause applying: an evicted entry, dedupe bucket or session field would lose a send or let a
 * retry write it twice.
 */
final class NamespaceWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NamespaceWatch.class);
    static final long INTERVAL_MS = 250;
    static final long POLICY_EVERY_MS = 2_000;

    private final RedissonClient redis;
    private final Keys keys;
    private final int partitions;
    private final DedupeLayout dedupe;
    private final String where;
    private final RedisMode mode;
    private final ScheduledExecutorService timer;
    /** Why sends must not go out now; null while the namespace is there with this producer's P. */
    private volatile TallyException blocked;
    private volatile boolean missing;
    /** Why sends are blocked, for the failure metric: {@code namespace} or {@code eviction_policy}. */
    private volatile String blockedReason = SendFailureReason.NAMESPACE;
    /** The first master's policy that may evict keys ("Redis at ... runs with maxmemory-policy ..."), or null. */
    private String evicting;
    private long policyReadAt = Long.MIN_VALUE;
    /** Whether the last policy read failed, for logging each change between readable and not once. */
    private boolean policyUnreadable;
    private boolean policyEverRead;
    /** What the last check saw, for logging each change once. */
    private String state = "ok";

    NamespaceWatch(RedissonClient redis, Keys keys, int partitions, DedupeLayout dedupe, String where, RedisMode mode) {
        this.redis = redis;
        this.mode = mode;
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

    /** What {@link #blocked()} is about, as a reason of {@code tally_producer_send_failures_total}. */
    String blockedReason() {
        return blockedReason;
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
        readPolicy();
        if (now == null && evicting != null) {
            now = new SendFailedException(evicting + ", which may evict Tally's keys (an evicted entry, dedupe bucket "
                    + "or session field would lose a send or let a retry write it twice); nothing was written: sends "
                    + "fail until it is noeviction again (CONFIG SET maxmemory-policy noeviction)", true, null);
        }
        blockedReason = stored != null && same && evicting != null ? SendFailureReason.EVICTION_POLICY
                : SendFailureReason.NAMESPACE;
        String state = stored == null ? "missing" : !same ? stored.toString() : evicting != null ? evicting : "ok";
        boolean changed = !state.equals(this.state);
        this.state = state;
        missing = stored == null;
        blocked = now;
        if (changed && now != null) {
            log.error("producer: {}; sends {}", now.getMessage(), missing ? "wait up to send-timeout-ms" : "fail");
        } else if (changed) {
            log.warn("producer: namespace '{}' is writable again ({}); sending again", keys.namespace(), stored);
        }
    }

    /**
     * Reads the masters' maxmemory-policy every {@value #POLICY_EVERY_MS} ms; a failed read keeps the last. A WARN
     * when reads start failing and an INFO when they succeed again, once each: a user without INFO would otherwise
     * go on writing, unwarned, under a policy set to evict keys meanwhile.
     */
    private void readPolicy() {
        long now = System.nanoTime();
        if (policyReadAt != Long.MIN_VALUE && now - policyReadAt < TimeUnit.MILLISECONDS.toNanos(POLICY_EVERY_MS)) {
            return;
        }
        policyReadAt = now;
        try {
            evicting = Namespace.evictingPolicy(redis, mode);
        } catch (RuntimeException e) {
            if (!policyUnreadable) {
                String last = evicting != null ? evicting : policyEverRead ? "noeviction" : "none yet, taken as noeviction";
                log.warn("producer: {}; sends go on under the policy last read ({}), blind to a change to an evicting "
                        + "one, until it can be read again (a user refused INFO needs +info: docs/operations.md, "
                        + "least-privilege ACL users)", RedisFailures.replyText(e), last);
            }
            policyUnreadable = true;
            return;
        }
        if (policyUnreadable) {
            log.info("producer: maxmemory-policy is readable again ({}); sends follow it again",
                    evicting != null ? evicting : "noeviction on every master");
        }
        policyUnreadable = false;
        policyEverRead = true;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
