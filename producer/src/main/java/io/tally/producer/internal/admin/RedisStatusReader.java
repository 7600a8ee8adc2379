package io.tally.producer.internal.admin;

import io.tally.common.internal.keys.Keys;
import io.tally.producer.status.MemberStatus;
import io.tally.producer.status.NamespaceStatus;
import io.tally.producer.status.PartitionStatus;
import io.tally.producer.status.StatusReader;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.client.protocol.ScoredEntry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link StatusReader} on Redisson: the partitions as
 * {@link PartitionStatusReader} reads them (the same numbers the processor exports as metrics: one
 * read-only script per partition, pipelined; halts from the partitions' {@code halt} hashes), plus the
 * membership set.
 */
public final class RedisStatusReader implements StatusReader {
    private final RedissonClient redis;
    private final Keys keys;
    private final PartitionStatusReader partitions;

    /** The status of a namespace whose P is known, on a shared Redis client. */
    public RedisStatusReader(RedissonClient redis, Keys keys, int partitions) {
        this.redis = redis;
        this.keys = keys;
        this.partitions = new PartitionStatusReader(redis, keys, partitions);
    }

    @Override
    public NamespaceStatus read() {
        PartitionStatusReader.Snapshot snapshot = partitions.read();
        return new NamespaceStatus(keys.namespace(), snapshot.redisTimeMs(), snapshot.partitions(),
                members(snapshot.partitions(), snapshot.redisTimeMs()));
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
}
