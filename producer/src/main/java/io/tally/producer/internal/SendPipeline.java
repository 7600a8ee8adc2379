package io.tally.producer.internal;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One pipeline of {@code append_runs.lua} calls, one per stream, over the producer's own connections
 * ({@link DirectSendPipeline} to a standalone Redis, {@link ClusterSendPipeline} to a Cluster's masters),
 * else {@link RedissonSendPipeline} (Sentinel, acks=replicas, {@code hot-path-connection redisson}).
 */
interface SendPipeline {
    /**
     * Queues one stream's call; the reply is append_runs.lua's list (entry ids, then positions of
     * duplicates). It fails only with what befell this call (its own error reply, or its connection's
     * failure), never with another call's error: the producer reads a call's error reply as "this
     * call wrote nothing" and numbers new sends from there.
     */
    CompletableFuture<List<Object>> add(StreamGroup group, StreamKeys keys, byte[] dedupeWindowMs);

    /**
     * Sends what was queued. Completes when every call has completed, exceptionally when any failed;
     * with acks=replicas each group's {@link StreamGroup#confirmedReplicas} is then its own master's count.
     */
    CompletableFuture<Void> execute();
}
