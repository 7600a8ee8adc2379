package io.tally.processor.internal.ownership;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Processor membership: heartbeats into {@code <ns>:members} on Redis time; a member silent for
 * longer than the member timeout ({@code member-timeout-ms}, by default half the lease TTL) is dropped
 * by whoever beats next. Its partitions are reassigned and their new owners replace its leases at once,
 * without waiting for them to expire: the lease value fences the scripts of a member dropped while
 * alive (a long pause), which finds its leases gone when it resumes and rejoins.
 */
public final class Membership {
    private static final Logger log = LoggerFactory.getLogger(Membership.class);
    private static final LuaScript HEARTBEAT = LuaScript.resource("heartbeat");

    private final RedissonClient redis;
    private final Keys keys;
    private final String instanceId;
    private final long ttlMs;

    /** @param ttlMs the member timeout, ms */
    public Membership(RedissonClient redis, Keys keys, String instanceId, long ttlMs) {
        this.redis = redis;
        this.keys = keys;
        this.instanceId = instanceId;
        this.ttlMs = ttlMs;
    }

    /** Records a heartbeat and returns the live members and the server time. */
    public View beat() {
        return call("beat");
    }

    /** Leaves at once (graceful shutdown), so others rebalance without waiting for the TTL. */
    public View leave() {
        return call("leave");
    }

    private View call(String op) {
        List<Object> reply = HEARTBEAT.eval(redis, RScript.ReturnType.LIST, List.of(keys.members()), instanceId, ttlMs, op);
        String replaced = String.valueOf(reply.get(1));
        if (!replaced.isEmpty()) {
            log.warn("{} held a {} (another program wrote it), not the membership sorted set; replaced it. The other "
                    + "processors join again at their next heartbeat; partitions may move once meanwhile", keys.members(), replaced);
        }
        List<String> live = new ArrayList<>(reply.size() - 2);
        for (int i = 2; i < reply.size(); i++) {
            live.add(String.valueOf(reply.get(i)));
        }
        return new View(Long.parseLong(String.valueOf(reply.get(0))), live);
    }

    /**
     * @param serverTimeMs Redis time at the heartbeat
     * @param live         live member instance ids, sorted
     */
    public record View(long serverTimeMs, List<String> live) {
    }
}
