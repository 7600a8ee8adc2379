package io.tally.producer.internal;

import io.tally.common.internal.redis.LuaScript;
import org.redisson.Redisson;
import org.redisson.api.BatchOptions;
import org.redisson.api.BatchResult;
import org.redisson.api.RFuture;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.client.protocol.RedisCommand;
import org.redisson.client.protocol.decoder.ObjectListReplayDecoder;
import org.redisson.command.CommandAsyncExecutor;
import org.redisson.command.CommandBatchService;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One pipeline of {@code append_runs.lua} calls on Redisson's batch executor, with arguments that are
 * already bytes: the pipeline of Cluster, Sentinel and {@code acks=replicas} (Redisson routes each
 * stream to its slot's master and runs WAIT). The public {@code RBatch.getScript().evalShaAsync} would pass every argument through a
 * codec and Redisson's object-reference check, one pooled buffer each: with ~10 arguments per send
 * that was most of the producer's CPU. Here each argument is written to the socket as it is.
 *
 * <p>With {@code waitPerPartition} (acks=replicas on Redis Cluster) each partition's calls go in a batch
 * of their own, with its own WAIT: Redisson adds up the WAIT replies of the masters one batch reaches, so
 * in one batch a replica of one master would confirm the writes of another, whose replica may have none.
 * Each group learns the replicas of its own master ({@link StreamGroup#syncedReplicas}).
 */
final class RedissonSendPipeline implements SendPipeline {
    private static final RedisCommand<List<Object>> EVALSHA =
            new RedisCommand<>("EVALSHA", new ObjectListReplayDecoder<>());

    private final CommandAsyncExecutor executor;
    private final BatchOptions options;
    private final byte[] sha;
    /** The one batch, or null with waitPerPartition. */
    private final CommandBatchService batch;
    /** With waitPerPartition: each partition's batch and its groups, in the order first added. */
    private final Map<Integer, PartitionBatch> byPartition;

    private record PartitionBatch(CommandBatchService batch, List<StreamGroup> groups) {
    }

    private RedissonSendPipeline(CommandAsyncExecutor executor, BatchOptions options, byte[] sha,
                                 boolean waitPerPartition) {
        this.executor = executor;
        this.options = options;
        this.sha = sha;
        this.batch = waitPerPartition ? null : executor.createCommandBatchService(options);
        this.byPartition = waitPerPartition ? new LinkedHashMap<>() : null;
    }

    /** Redisson's command executor, which the producer needs; clients made by Redisson.create(...) have one. */
    static CommandAsyncExecutor executorOf(RedissonClient redis) {
        if (redis instanceof Redisson redisson) {
            return redisson.getCommandExecutor();
        }
        throw new IllegalArgumentException("TallyProducer needs a RedissonClient made by Redisson.create(...), got "
                + redis.getClass().getName());
    }

    static RedissonSendPipeline open(CommandAsyncExecutor executor, BatchOptions options, LuaScript script,
                                     boolean waitPerPartition) {
        return new RedissonSendPipeline(executor, options, script.sha().getBytes(StandardCharsets.US_ASCII),
                waitPerPartition);
    }

    @Override
    public CompletableFuture<List<Object>> add(StreamGroup group, StreamKeys keys, byte[] dedupeWindowMs) {
        Object[] args = group.evalShaArgs(sha, keys.streamBytes(group.topic, group.partition),
                    keys.producersBytes(group.topic, group.partition), dedupeWindowMs);
        CommandBatchService into = batch;
        if (byPartition != null) {
            PartitionBatch own = byPartition.computeIfAbsent(group.partition,
                    p -> new PartitionBatch(executor.createCommandBatchService(options), new ArrayList<>()));
            own.groups().add(group);
            into = own.batch();
        }
        RFuture<List<Object>> reply = into.writeAsync(keys.stream(group.topic, group.partition), StringCodec.INSTANCE,
                EVALSHA, args);
        return reply.toCompletableFuture();
    }

    /** With waitPerPartition the value is the fewest replicas any partition's master reached. */
    @Override
    public CompletableFuture<Integer> execute() {
        if (byPartition == null) {
            return batch.executeAsync().toCompletableFuture().thenApply(BatchResult::getSyncedSlaves);
        }
        List<CompletableFuture<Integer>> each = new ArrayList<>(byPartition.size());
        for (PartitionBatch own : byPartition.values()) {
            each.add(own.batch().executeAsync().toCompletableFuture().thenApply(result -> {
                own.groups().forEach(g -> g.syncedReplicas = result.getSyncedSlaves());
                return result.getSyncedSlaves();
            }));
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
                .thenApply(done -> each.stream().mapToInt(CompletableFuture::join).min().orElse(0));
    }
}
