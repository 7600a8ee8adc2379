package io.tally.producer.internal;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One pipeline of {@code append_runs.lua} calls, one per stream: {@link DirectSendPipeline} over the
 * producer's own connection to a standalone Redis, {@link RedissonSendPipeline} otherwise.
 */
interface SendPipeline {
    /** Queues one stream's call; the reply is append_runs.lua's list (entry ids, then positions of duplicates). */
    CompletableFuture<List<Object>> add(StreamGroup group, StreamKeys keys, byte[] dedupeWindowMs);

    /**
     * Sends what was queued. Completes when every call has replied, exceptionally when any failed; its
     * value is the number of replicas that acknowledged the writes (acks=replicas only, else 0).
     */
    CompletableFuture<Integer> execute();
}
