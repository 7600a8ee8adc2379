package io.tally.processor.internal.apply;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One group's pipeline in flight: the scripts and reads sent together, each with what to do with its
 * reply ({@link RoundBuilder} fills it, {@link RoundReplies} runs the handlers).
 */
final class RoundPipeline {
    final List<Step> steps = new ArrayList<>();
    final List<Step> reads = new ArrayList<>();
    /** Entries read or applied, added up by the handlers. */
    final int[] progress = {0};
    /** The scripts' pipeline once sent; null when the round has only reads. */
    CompletableFuture<Void> executed;
    /** Completes once the scripts and every read have replied. */
    CompletableFuture<Void> completion;
    long started;

    /**
     * A partition's queued script (or read) and what to do with its reply. {@code topic} is the stream
     * it applies (null: both), {@code size} the most entries it may apply (0: it applies none, e.g. a claim).
     */
    record Step(PartitionWorker worker, String topic, int size, CompletableFuture<?> reply, Runnable handler) {
    }
}
