package io.tally.processor.internal.transport;

import io.tally.processor.internal.batch.PartitionRead;

import java.util.concurrent.CompletableFuture;

/**
 * The fast path's read: new entries of a partition's ops and events streams for this consumer
 * (XREADGROUP '>'), parsed for the fold. Called by the loop thread; replies complete on any thread.
 */
public interface StreamReads {
    /**
     * @param partition the partition whose streams to read
     * @param count     most entries per stream
     */
    CompletableFuture<PartitionRead> readNew(int partition, int count);
}
