package io.tally.processor.internal.transport;

import io.tally.common.internal.keys.Keys;
import io.tally.processor.internal.batch.CounterNames;
import io.tally.processor.internal.batch.OpsEntries;
import io.tally.processor.internal.batch.PartitionRead;
import io.tally.processor.internal.batch.ReadBatch;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamMultiReadGroupArgs;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Stream reads through Redisson: the read path of Cluster and Sentinel mode, where Redisson knows which
 * master holds a partition's slot. Decoding is Redisson's (an object per field), then the same
 * {@link OpsEntries} rules apply. A reply is parsed on the thread that completes it; reads of one
 * partition never overlap (its next read is sent after this one was handled), so its names stay
 * confined to one reader at a time.
 */
final class RedissonStreamReads implements StreamReads {
    private final RedissonClient redis;
    private final Keys keys;
    private final String consumer;
    private final CounterNames[] names;

    RedissonStreamReads(RedissonClient redis, Keys keys, int partitions, String consumer) {
        this.redis = redis;
        this.keys = keys;
        this.consumer = consumer;
        this.names = new CounterNames[partitions];
        for (int p = 0; p < partitions; p++) {
            names[p] = new CounterNames(p, partitions);
        }
    }

    @Override
    public CompletableFuture<PartitionRead> readNew(int partition, int count) {
        return redis.<String, String>getStream(keys.ops(partition), EntryCodec.INSTANCE)
                .readGroupAsync(Keys.GROUP, consumer, StreamMultiReadGroupArgs.greaterThan(
                        StreamMessageId.NEVER_DELIVERED, keys.events(partition), StreamMessageId.NEVER_DELIVERED)
                        .count(count))
                .toCompletableFuture()
                .thenApply(reply -> parse(partition, reply));
    }

    private PartitionRead parse(int partition, Map<String, Map<StreamMessageId, Map<String, String>>> reply) {
        Map<StreamMessageId, Map<String, String>> ops = reply.get(keys.ops(partition));
        Map<StreamMessageId, Map<String, String>> events = reply.get(keys.events(partition));
        return new PartitionRead(ops == null || ops.isEmpty() ? null : ReadBatch.fromFields(ops, names[partition]),
                events == null || events.isEmpty() ? null : ReadBatch.fromFields(events, null));
    }
}
