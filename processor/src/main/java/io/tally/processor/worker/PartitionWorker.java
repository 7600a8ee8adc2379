package io.tally.processor.worker;

/**
 * The state of one owned partition: a cursor per input stream, and whether the partition is halted
 * (an entry with an unknown format version stops it until a newer processor takes over).
 */
final class PartitionWorker {
    final int partition;
    final StreamCursor ops = new StreamCursor("ops");
    final StreamCursor events = new StreamCursor("events");
    String haltedBy;
    int consecutiveGaps;

    PartitionWorker(int partition) {
        this.partition = partition;
    }

    StreamCursor cursor(String topic) {
        return "ops".equals(topic) ? ops : events;
    }

    /** The stream that still claims pending entries, or null when both are past CLAIM. */
    StreamCursor claiming() {
        if (ops.mode == StreamCursor.Mode.CLAIM) {
            return ops;
        }
        return events.mode == StreamCursor.Mode.CLAIM ? events : null;
    }

    boolean halted() {
        return haltedBy != null;
    }
}
