package io.tally.processor.internal.worker;

/** What one XREADGROUP of a partition's two streams returned; a stream with no new entries is null. */
record PartitionRead(ReadBatch ops, ReadBatch events) {
    int size() {
        return (ops == null ? 0 : ops.size()) + (events == null ? 0 : events.size());
    }
}
