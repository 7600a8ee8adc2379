package io.tally.producer.status;

import io.tally.common.keys.Keys;
import io.tally.common.redis.LuaScript;
import io.tally.producer.read.StreamIds;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.client.protocol.ScoredEntry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Gathers a {@link NamespaceStatus}: per partition one read-only script (lease owner, stream lengths,
 * checkpoint, group lag and pending, oldest pending entry, dead letters), pipelined over all
 * partitions, plus the membership set. Used by {@code tally status}; a metrics exporter can poll it.
 */
public final class StatusReader {
    private static final LuaScript STATUS = LuaScript.resource("status");

    private final RedissonClient redis;
    private final Keys keys;
    private final int partitions;

    public StatusReader(RedissonClient redis, Keys keys, int partitions) {
        this.redis = redis;
        this.keys = keys;
        this.partitions = partitions;
    }

    /** Takes a snapshot; each partition is consistent in itself, partitions are read one after another. */
    public NamespaceStatus read() {
        STATUS.load(redis);
        RBatch batch = redis.createBatch();
        List<RFuture<List<Object>>> replies = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            List<Object> k = List.of(keys.lease(p), keys.ops(p), keys.events(p), keys.checkpoint(p), keys.dlq(p));
            replies.add(STATUS.evalAsync(batch.getScript(StringCodec.INSTANCE), RScript.ReturnType.LIST, k, Keys.GROUP));
        }
        batch.execute();
        List<PartitionStatus> out = new ArrayList<>(partitions);
        long now = 0;
        for (int p = 0; p < partitions; p++) {
            List<Object> r = replies.get(p).toCompletableFuture().join();
            now = Math.max(now, num(r.get(1)));
            out.add(new PartitionStatus(p, str(r.get(0)), topic(r, 3, now), topic(r, 8, now), num(r.get(2))));
        }
        return new NamespaceStatus(keys.namespace(), now, out, members(out, now));
    }

    private List<MemberStatus> members(List<PartitionStatus> parts, long now) {
        Map<String, Integer> owned = new HashMap<>();
        parts.stream().filter(PartitionStatus::owned).forEach(p -> owned.merge(p.owner(), 1, Integer::sum));
        Collection<ScoredEntry<String>> entries =
                redis.<String>getScoredSortedSet(keys.members(), StringCodec.INSTANCE).entryRange(0, -1);
        List<MemberStatus> members = new ArrayList<>();
        for (ScoredEntry<String> e : entries) {
            members.add(new MemberStatus(e.getValue(), Math.max(0, now - e.getScore().longValue()),
                    owned.getOrDefault(e.getValue(), 0)));
        }
        return members;
    }

    private static TopicStatus topic(List<Object> r, int at, long now) {
        String applied = str(r.get(at + 1));
        String oldest = str(r.get(at + 4));
        long age = oldest.isEmpty() ? -1 : Math.max(0, now - StreamIds.millis(oldest));
        return new TopicStatus(num(r.get(at)), applied.isEmpty() ? "-" : applied, num(r.get(at + 2)),
                num(r.get(at + 3)), age);
    }

    private static long num(Object o) {
        return o instanceof Number n ? n.longValue() : Long.parseLong(String.valueOf(o));
    }

    private static String str(Object o) {
        return o == null ? "" : String.valueOf(o);
    }
}
