package io.tally.common.internal.status;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the {@link PartitionStatus} of every partition of a namespace: one read-only script per
 * partition (all its keys share one slot, so it works on Redis Cluster), all pipelined in one round
 * trip. Shared by the lag metrics and status commands.
 */
public final class PartitionStatusReader {
    private static final LuaScript STATUS = LuaScript.resource("partition_status");
    private static final List<String> TOPICS = List.of("ops", "events");
    private static final int TOPIC_FIELDS = 7;

    private final RedissonClient redis;
    private final Keys keys;
    private final int partitions;

    public PartitionStatusReader(RedissonClient redis, Keys keys, int partitions) {
        this.redis = redis;
        this.keys = keys;
        this.partitions = partitions;
    }

    /** Every partition's status, partition 0 first. Throws when Redis cannot be reached. */
    public List<PartitionStatus> read() {
        try {
            return readOnce();
        } catch (RuntimeException e) {
            if (!LuaScript.isNoScript(e)) {
                throw e;
            }
            STATUS.load(redis);
            return readOnce();
        }
    }

    private List<PartitionStatus> readOnce() {
        RBatch batch = redis.createBatch();
        List<RFuture<List<Object>>> replies = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            List<Object> partitionKeys = List.of(keys.ops(p), keys.events(p), keys.dlq(p), keys.lease(p), keys.checkpoint(p),
                    keys.halt(p));
            replies.add(STATUS.evalAsync(batch.getScript(), RScript.ReturnType.LIST, partitionKeys, Keys.GROUP));
        }
        batch.execute();
        List<PartitionStatus> out = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            out.add(parse(p, replies.get(p).toCompletableFuture().join()));
        }
        return out;
    }

    static PartitionStatus parse(int partition, List<Object> reply) {
        String owner = String.valueOf(reply.get(0));
        List<PartitionStatus.TopicStatus> topics = new ArrayList<>(TOPICS.size());
        for (int i = 0; i < TOPICS.size(); i++) {
            int at = 3 + i * TOPIC_FIELDS;
            topics.add(new PartitionStatus.TopicStatus(TOPICS.get(i), num(reply, at), num(reply, at + 1),
                    num(reply, at + 2) == 1, num(reply, at + 3), num(reply, at + 4),
                    String.valueOf(reply.get(at + 5)), String.valueOf(reply.get(at + 6))));
        }
        int h = 3 + TOPICS.size() * TOPIC_FIELDS;
        String reason = String.valueOf(reply.get(h));
        Optional<PartitionStatus.Halt> halt = reason.isEmpty() ? Optional.empty()
                : Optional.of(new PartitionStatus.Halt(reason, since(String.valueOf(reply.get(h + 1))),
                String.valueOf(reply.get(h + 2)), String.valueOf(reply.get(h + 3))));
        return new PartitionStatus(partition, owner.isEmpty() ? Optional.empty() : Optional.of(owner),
                num(reply, 1), num(reply, 2), List.copyOf(topics), halt);
    }

    /** The halt's start; any writer may have put something else there. */
    private static long since(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long num(List<Object> reply, int at) {
        return Long.parseLong(String.valueOf(reply.get(at)));
    }
}
