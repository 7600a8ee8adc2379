package io.tally.it.resilience;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;

import java.util.ArrayList;
import java.util.List;

/** Sum over partitions of the backlog script's answer (lag + pending of the slowest group): 0 means all applied. */
final class Backlog {
    private static final LuaScript BACKLOG = LuaScript.resource("backlog");

    private Backlog() {
    }

    static long total(RedissonClient redis, Keys keys, int partitions) {
        long total = 0;
        for (int p = 0; p < partitions; p++) {
            List<Object> reply = BACKLOG.eval(redis, RScript.ReturnType.LIST, new ArrayList<>(keys.inputStreams(p)));
            for (Object v : reply) {
                total += ((Number) v).longValue();
            }
        }
        return total;
    }
}
