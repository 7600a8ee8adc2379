package io.tally.producer.internal.admin;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.producer.status.HaltStatus;
import io.tally.producer.status.PartitionStatus;
import io.tally.producer.status.TopicStatus;
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
 * trip. A partition with a key another program made of another type comes back
 * {@link PartitionStatus#unreadable() unreadable}, naming the key, and the others are read. Shared by the
 * processor's lag metrics and {@link RedisStatusReader}.
 */
public final class PartitionStatusReader {
    private static final LuaScript STATUS = LuaScript.resource("partition_status");
    private static final int TOPICS = 2;
    private static final int TOPIC_FIELDS = 7;
    private static final String UNREADABLE = "UNREADABLE";
    private static final int UNREADABLE_FIELDS = 3;

    private final RedissonClient redis;
    private final Keys keys;
    private final int partitions;

    /**
     * The partitions as Redis saw them.
     *
     * @param redisTimeMs Redis time when they were read (the latest of the partitions' reads); every
     *                    partition's pending age is measured against it, so ages compare across partitions
     * @param partitions  partition 0 first
     */
    public record Snapshot(long redisTimeMs, List<PartitionStatus> partitions) {
    }

    /** A reader of the {@code partitions} partitions of the namespace of {@code keys}, on a shared client. */
    public PartitionStatusReader(RedissonClient redis, Keys keys, int partitions) {
        this.redis = redis;
        this.keys = keys;
        this.partitions = partitions;
    }

    /** Every partition's status. Throws when Redis cannot be reached. */
    public Snapshot read() {
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

    private Snapshot readOnce() {
        RBatch batch = redis.createBatch();
        List<RFuture<List<Object>>> replies = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            List<Object> partitionKeys = List.of(keys.ops(p), keys.events(p), keys.dlq(p), keys.lease(p), keys.checkpoint(p),
                    keys.halt(p));
            replies.add(STATUS.evalAsync(batch.getScript(), RScript.ReturnType.LIST, partitionKeys, Keys.GROUP));
        }
        batch.execute();
        List<List<Object>> read = new ArrayList<>(partitions);
        long now = 0;
        for (RFuture<List<Object>> reply : replies) {
            List<Object> r = reply.toCompletableFuture().join();
            read.add(r);
            if (!unreadable(r)) {
                now = Math.max(now, num(r, 2));
            }
        }
        List<PartitionStatus> out = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            out.add(parse(p, read.get(p), now));
        }
        return new Snapshot(now, List.copyOf(out));
    }

    /**
     * One reply of {@code partition_status.lua} (see the script for its layout), its ages measured at
     * {@code redisTimeMs}: the snapshot's time, not the partition's own read of it, which may be a
     * millisecond earlier.
     */
    static PartitionStatus parse(int partition, List<Object> reply, long redisTimeMs) {
        if (unreadable(reply)) {
            return PartitionStatus.unreadable(partition, String.valueOf(reply.get(1)), String.valueOf(reply.get(2)));
        }
        TopicStatus ops = topic(reply, 3, redisTimeMs);
        TopicStatus events = topic(reply, 3 + TOPIC_FIELDS, redisTimeMs);
        int h = 3 + TOPICS * TOPIC_FIELDS;
        String reason = String.valueOf(reply.get(h));
        Optional<HaltStatus> halt = reason.isEmpty() ? Optional.empty()
                : Optional.of(new HaltStatus(reason, since(String.valueOf(reply.get(h + 1))),
                String.valueOf(reply.get(h + 2)), String.valueOf(reply.get(h + 3))));
        return new PartitionStatus(partition, String.valueOf(reply.get(0)), ops, events, num(reply, 1), halt);
    }

    /**
     * One stream's fields from {@code at}: length, lag, lag exact, pending, oldest pending id time, last
     * delivered id (not shown), checkpoint. A lag Redis cannot count becomes -1.
     */
    private static TopicStatus topic(List<Object> reply, int at, long redisTimeMs) {
        long oldestPendingMs = num(reply, at + 4);
        long age = oldestPendingMs < 0 ? -1 : Math.max(0, redisTimeMs - oldestPendingMs);
        String checkpoint = String.valueOf(reply.get(at + 6));
        return new TopicStatus(num(reply, at), checkpoint.isEmpty() ? "-" : checkpoint,
                num(reply, at + 2) == 1 ? num(reply, at + 1) : -1, num(reply, at + 3), age);
    }

    /** Whether the script found a key of the partition of another type: {'UNREADABLE', owner, why}. */
    private static boolean unreadable(List<Object> reply) {
        return reply.size() == UNREADABLE_FIELDS && UNREADABLE.equals(reply.get(0));
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
