package io.tally.processor.internal.engine;

import io.tally.common.config.RedisMode;
import io.tally.common.config.ConfigException;
import io.tally.common.internal.redis.Namespace;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.apply.WrongTypeRefusal;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Checks, every tick, that Redis still holds what this processor runs on, and restores it when it
 * does not. Redis may lose its data under a running processor (no persistence and a restart, a
 * FLUSHALL, a failover to an empty replica); the first writer would then fix P again, and entries
 * appended to a stream without the consumer group would never be read. So each tick:
 * <ul>
 *   <li>{@code <ns>:meta} missing, with another P or partition tag rule, with a P that is no number, or of
 *       another type: stored again with this processor's, and the groups of every partition created (a
 *       lost meta means a lost namespace);</li>
 *   <li>the consumer group missing on an owned partition's stream: created at id 0, so that the
 *       entries written after the loss are applied;</li>
 *   <li>{@code maxmemory-policy} of every master: an evicting policy pauses applying (an evicted
 *       checkpoint would re-apply work) until noeviction is back.</li>
 * </ul>
 * Each loss is logged at ERROR once per detection and counted in {@code tally.redis.state.lost}.
 */
public final class RedisStateGuard {
    private static final Logger log = LoggerFactory.getLogger(RedisStateGuard.class);
    static final String EVICTION = "eviction_policy";

    private final RedissonClient redis;
    private final Namespace namespace;
    private final RedisMode mode;
    private final String redisUrl;
    private final ProcessorListener metrics;
    private String pausedFor;
    /** Partitions whose group check Redis refused last time (a stream of another type). */
    private Set<Integer> refusedGroups = Set.of();

    public RedisStateGuard(RedissonClient redis, Namespace namespace, RedisMode mode, String redisUrl,
                    ProcessorListener metrics) {
        this.redis = redis;
        this.namespace = namespace;
        this.mode = mode;
        this.redisUrl = redisUrl;
        this.metrics = metrics;
    }

    /**
     * Creates the consumer group on every partition's streams that lacks it, at the processor's start (a new
     * namespace, or streams written before any processor ran): nothing was lost. A partition whose stream is a
     * key of another type is left out with a WARN; its reads and applies are refused until the key is repaired.
     */
    public void createGroups() {
        ensureGroups(all());
    }

    /**
     * Restores {@code meta} and the groups of {@code owned} where Redis lost them.
     *
     * @return whether anything was missing
     */
    public boolean restore(Collection<Integer> owned) {
        Namespace.Meta stored;
        String seen;
        try {
            stored = Namespace.stored(redis, namespace.keys().namespace());
            seen = stored == null ? "missing" : "holding " + stored;
        } catch (ConfigException e) {
            stored = null; // another program wrote a partitions field that is no count: restored like a lost one
            seen = "holding no partition count from 1 to " + Namespace.MAX_PARTITIONS + " in its partitions field";
        } catch (RedisException e) {
            if (!WrongTypeRefusal.is(e)) {
                throw e;
            }
            stored = null;
            seen = "a key of another type, not a hash";
        }
        if (stored == null || !stored.sameAs(namespace)) {
            namespace.restoreMeta(redis);
            List<String> groups = ensureGroups(all());
            metrics.redisStateLost("meta");
            log.error("Redis at {} lost state: {} was {}; restored it with this processor's {} partitions (and partition tags) and "
                    + "created the consumer group (at id 0) on {} streams. Redis lost its data (restart without "
                    + "persistence, FLUSHALL or failover to an empty replica?): entries, counters and triggers "
                    + "acknowledged before the loss may be gone; entries written since are applied. See "
                    + "docs/runbook.md.", redisUrl, namespace.keys().meta(),
                    seen, namespace.partitions(), groups.size());
            if (!groups.isEmpty()) {
                metrics.redisStateLost("group");
            }
            return true;
        }
        if (owned.isEmpty()) {
            return false;
        }
        List<String> groups = ensureGroups(owned);
        if (!groups.isEmpty()) {
            metrics.redisStateLost("group");
            log.error("Redis at {} lost state: the consumer group was missing on {}; created it at id 0, so "
                    + "every entry still in those streams is applied (the checkpoint skips what was applied "
                    + "already, if it survived). Entries acknowledged before the loss may be gone. See "
                    + "docs/runbook.md.", redisUrl, groups);
        }
        return !groups.isEmpty();
    }

    /**
     * Creates the missing groups of {@code partitions}. A partition whose input stream another program made
     * a key of another type is refused by the script (WRONGTYPE, naming the key) and left out: the others'
     * groups are still checked, so it stops only its own partition (its reads and applies are refused),
     * not the whole tick. Refused partitions are logged when they change.
     */
    private List<String> ensureGroups(Collection<Integer> partitions) {
        try {
            List<String> created = namespace.ensureGroups(redis, partitions);
            noteRefused(Set.of());
            return created;
        } catch (RedisException e) {
            if (!WrongTypeRefusal.is(e)) {
                throw e;
            }
        }
        List<String> created = new ArrayList<>();
        Map<Integer, String> refused = new TreeMap<>();
        for (int p : partitions) {
            try {
                created.addAll(namespace.ensureGroups(redis, List.of(p)));
            } catch (RedisException e) {
                if (!WrongTypeRefusal.is(e)) {
                    throw e;
                }
                refused.put(p, e.getMessage());
            }
        }
        if (!refused.keySet().equals(refusedGroups)) {
            refused.forEach((p, why) -> log.warn("partition {}: cannot check its consumer groups ({}); delete the key "
                    + "of another type so that the partition can be read again", p, why));
        }
        noteRefused(refused.keySet());
        return created;
    }

    private void noteRefused(Set<Integer> partitions) {
        refusedGroups = Set.copyOf(partitions);
    }

    /**
     * Why applying must pause now (an evicting {@code maxmemory-policy} on some master), or null.
     * Logs each change once and sets the paused gauge.
     */
    public String pauseReason() {
        String evicting = Namespace.evictingPolicy(redis, mode);
        if (evicting != null && pausedFor == null) {
            log.error("{}: paused applying (not ready) until it is noeviction again, since an evicted "
                    + "checkpoint or counter would be lost or re-applied. Leases are kept. Run CONFIG SET "
                    + "maxmemory-policy noeviction (and fix redis.conf).", evicting);
            metrics.paused(EVICTION, true);
        } else if (evicting == null && pausedFor != null) {
            log.warn("maxmemory-policy is noeviction again; applying resumed");
            metrics.paused(EVICTION, false);
        }
        pausedFor = evicting;
        return evicting;
    }

    private List<Integer> all() {
        return IntStream.range(0, namespace.partitions()).boxed().collect(Collectors.toList());
    }
}
