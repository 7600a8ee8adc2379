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
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One pipeline of {@code append_runs.lua} calls on Redisson's batch executor, with arguments that are
 * already bytes: the pipeline of Cluster, Sentinel and {@code acks=replicas} (Redisson routes each
 * stream to its slot's master and runs WAIT). The public {@code RBatch.getScript().evalShaAsync} would pass every argument through a
 * codec and Redisson's object-reference check, one pooled buffer each: with ~10 arguments per send
 * that was most of the producer's CPU. Here each argument is written to the socket as it is.
 */
final class RedissonSendPipeline implements SendPipeline {
    private static final RedisCommand<List<Object>> EVALSHA =
            new RedisCommand<>("EVALSHA", new ObjectListReplayDecoder<>());

    private final CommandBatchService batch;
    private final byte[] sha;

    private RedissonSendPipeline(CommandBatchService batch, byte[] sha) {
        this.batch = batch;
        this.sha = sha;
    }

    /** Redisson's command executor, which the producer needs; clients made by Redisson.create(...) have one. */
    static CommandAsyncExecutor executorOf(RedissonClient redis) {
        if (redis instanceof Redisson redisson) {
            return redisson.getCommandExecutor();
        }
        throw new IllegalArgumentException("TallyProducer needs a RedissonClient made by Redisson.create(...), got "
                + redis.getClass().getName());
    }

    static RedissonSendPipeline open(CommandAsyncExecutor executor, BatchOptions options, LuaScript script) {
        return new RedissonSendPipeline(executor.createCommandBatchService(options), script.sha().getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public CompletableFuture<List<Object>> add(StreamGroup group, StreamKeys keys, byte[] dedupeWindowMs) {
        Object[] args = group.evalShaArgs(sha, keys.streamBytes(group.topic, group.partition),
                    keys.producersBytes(group.topic, group.partition), dedupeWindowMs);
        RFuture<List<Object>> reply = batch.writeAsync(keys.stream(group.topic, group.partition), StringCodec.INSTANCE,
                EVALSHA, args);
        return reply.toCompletableFuture();
    }

    @Override
    public CompletableFuture<Integer> execute() {
        return batch.executeAsync().toCompletableFuture().thenApply(BatchResult::getSyncedSlaves);
    }
}
