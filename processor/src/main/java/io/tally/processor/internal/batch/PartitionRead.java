package io.tally.processor.internal.batch;

/** What one XREADGROUP of a partition's two streams returned; a stream with no new entries is null. */
public record PartitionRead(ReadBatch ops, ReadBatch events) {
    public int size() {
        return (ops == null ? 0 : ops.size()) + (events == null ? 0 : events.size());
    }
}
