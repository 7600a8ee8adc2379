package io.tally.testkit;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.PendingResult;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.client.codec.StringCodec;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads a namespace's state straight from Redis, the way other programs see it. */
public final class PipelineInspector {
    private final RedissonClient redis;
    private final String namespace;
    private final int partitions;
    /** Read from the namespace's meta on first use: an inspector may be made before a processor creates it. */
    private Keys keys;

    public PipelineInspector(RedissonClient redis, String namespace, int partitions) {
        this.redis = redis;
        this.namespace = namespace;
        this.partitions = partitions;
    }

    /** The namespace's keys, with the partition tags its meta names. */
    public synchronized Keys keys() {
        if (keys == null) {
            keys = Namespace.keys(redis, namespace);
        }
        return keys;
    }

    /** Every counter of every partition. */
    public Map<String, Long> counters() {
        Map<String, Long> all = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            redis.<String, String>getMap(keys().counters(p), StringCodec.INSTANCE).readAllMap()
                    .forEach((k, v) -> all.put(k, Long.parseLong(v)));
        }
        return all;
    }

    public long counter(String name, int partition) {
        String v = redis.<String, String>getMap(keys().counters(partition), StringCodec.INSTANCE).get(name);
        return v == null ? 0 : Long.parseLong(v);
    }

    /** Pending entries of the 'tally' group over all partitions and both input streams. */
    public long pending() {
        long total = 0;
        for (int p = 0; p < partitions; p++) {
            for (String stream : keys().inputStreams(p)) {
                PendingResult r = redis.getStream(stream, StringCodec.INSTANCE).getPendingInfo(Keys.GROUP);
                total += r.getTotal();
            }
        }
        return total;
    }

    /** Entries ever added to all ops streams (XINFO STREAM entries-added; retention does not lower it). */
    public long opsAdded() {
        long total = 0;
        for (int p = 0; p < partitions; p++) {
            total += Long.parseLong(streamInfo(keys().ops(p)).getOrDefault("entries-added", "0"));
        }
        return total;
    }

    /**
     * Partitions whose checkpoint differs from the last id ever added to the stream (XINFO STREAM
     * last-generated-id), for ops and events.
     */
    public List<String> checkpointMismatches() {
        List<String> out = new java.util.ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            for (String topic : List.of("ops", "events")) {
                String stream = topic.equals("ops") ? keys().ops(p) : keys().events(p);
                String last = streamInfo(stream).get("last-generated-id");
                if (last == null || last.equals("0-0")) {
                    continue;
                }
                String checkpoint = redis.<String, String>getMap(keys().checkpoint(p), StringCodec.INSTANCE).get(topic);
                if (!last.equals(checkpoint)) {
                    out.add("partition " + p + " " + topic + ": last entry " + last + ", checkpoint " + checkpoint);
                }
            }
        }
        return out;
    }

    /** XINFO STREAM as a map of its scalar fields; empty when the stream does not exist. */
    public Map<String, String> streamInfo(String stream) {
        List<Object> flat = redis.getScript(StringCodec.INSTANCE).eval(RScript.Mode.READ_ONLY,
                "if redis.call('EXISTS', KEYS[1]) == 0 then return {} end "
                        + "local r = redis.call('XINFO', 'STREAM', KEYS[1]) local out = {} "
                        + "for i = 1, #r, 2 do if type(r[i + 1]) ~= 'table' then "
                        + "out[#out + 1] = r[i]; out[#out + 1] = tostring(r[i + 1]) end end return out",
                RScript.ReturnType.LIST, List.of(stream));
        Map<String, String> info = new HashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            info.put(String.valueOf(flat.get(i)), String.valueOf(flat.get(i + 1)));
        }
        return info;
    }

    /** Dead letters of one partition, oldest first, each as its field map. */
    public List<Map<String, String>> deadLetters(int partition) {
        return List.copyOf(redis.<String, String>getStream(keys().dlq(partition), StringCodec.INSTANCE)
                .range(StreamMessageId.MIN, StreamMessageId.MAX).values());
    }

    /** Current lease owner of each partition (null when free). */
    public Map<Integer, String> owners() {
        Map<Integer, String> owners = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            owners.put(p, redis.<String>getBucket(keys().lease(p), StringCodec.INSTANCE).get());
        }
        return owners;
    }
}
