package io.tally.processor.internal.ownership;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Partition leases: {@code <ns>:{p<i>}:lease} holds {@code <processor id>:<token>} with a PX expiry
 * on Redis time. Every operation is one script per partition (so it stays on the partition's slot),
 * pipelined across partitions.
 */
public final class Leases {
    private static final LuaScript LEASE = LuaScript.resource("lease");

    private final RedissonClient redis;
    private final Keys keys;
    private final String value;
    private final long ttlMs;

    public Leases(RedissonClient redis, Keys keys, String value, long ttlMs) {
        this.redis = redis;
        this.keys = keys;
        this.value = value;
        this.ttlMs = ttlMs;
    }

    public void load() {
        LEASE.load(redis);
    }

    /** The lease value this processor writes (fence token of its scripts). */
    public String value() {
        return value;
    }

    /** Current owner of each partition that has one. */
    public Map<Integer, String> owners(int partitions) {
        List<Integer> all = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            all.add(p);
        }
        Map<Integer, Object> replies = run(all, "peek", Map.of());
        Map<Integer, String> owners = new HashMap<>();
        replies.forEach((p, v) -> {
            String owner = String.valueOf(v);
            if (!owner.isEmpty()) {
                owners.put(p, owner);
            }
        });
        return owners;
    }

    /**
     * Tries to take the given leases: each is taken if it is free, already ours, or still holds the
     * value given for it, a silent owner's that membership has dropped (it is then replaced before it
     * expires; the new value fences the silent owner's scripts). Returns those now held.
     *
     * @param partitions partition to the silent owner whose lease may be replaced, or "" for none
     */
    public Set<Integer> acquire(Map<Integer, String> partitions) {
        return succeeded(run(partitions.keySet(), "acquire", partitions));
    }

    /** Extends held leases; returns those still held (the others are lost). */
    public Set<Integer> renew(Collection<Integer> partitions) {
        return succeeded(run(partitions, "renew", Map.of()));
    }

    public Set<Integer> release(Collection<Integer> partitions) {
        return succeeded(run(partitions, "release", Map.of()));
    }

    private Map<Integer, Object> run(Collection<Integer> partitions, String op, Map<Integer, String> silentOwners) {
        Map<Integer, Object> out = new HashMap<>();
        if (partitions.isEmpty()) {
            return out;
        }
        RBatch batch = redis.createBatch();
        Map<Integer, RFuture<Object>> futures = new HashMap<>();
        for (int p : partitions) {
            futures.put(p, LEASE.evalAsync(batch.getScript(), RScript.ReturnType.VALUE, List.of(keys.lease(p)), op, value, ttlMs,
                    silentOwners.getOrDefault(p, "")));
        }
        try {
            batch.execute();
        } catch (RuntimeException e) {
            if (!LuaScript.isNoScript(e)) {
                throw e;
            }
            LEASE.load(redis);
            return run(partitions, op, silentOwners);
        }
        futures.forEach((p, f) -> out.put(p, f.toCompletableFuture().join()));
        return out;
    }

    private static Set<Integer> succeeded(Map<Integer, Object> replies) {
        Set<Integer> ok = new TreeSet<>();
        replies.forEach((p, v) -> {
            if (v instanceof Number n && n.longValue() == 1) {
                ok.add(p);
            } else if ("1".equals(String.valueOf(v))) {
                ok.add(p);
            }
        });
        return ok;
    }
}
