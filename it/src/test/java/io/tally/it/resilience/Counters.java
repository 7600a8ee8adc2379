package io.tally.it.resilience;

import io.tally.common.internal.keys.Keys;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.util.Map;
import java.util.TreeMap;

/** Reads every partition's counters hash (one single-slot HGETALL each, so it works on a cluster). */
final class Counters {
    private Counters() {
    }

    static Map<String, Long> read(RedissonClient redis, Keys keys, int partitions) {
        Map<String, Long> out = new TreeMap<>();
        for (int p = 0; p < partitions; p++) {
            Map<String, String> values = redis.<String, String>getMap(keys.counters(p), StringCodec.INSTANCE).readAllMap();
            values.forEach((k, v) -> out.put(k, Long.parseLong(v)));
        }
        return out;
    }

    static long total(Map<String, Long> counters) {
        return counters.values().stream().mapToLong(Long::longValue).sum();
    }
}
