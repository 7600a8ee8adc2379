package io.tally.processor.worker;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The state of one owned partition: a cursor per input stream, the batches read but not yet applied,
 * and whether the partition is halted (an entry with an unknown format version stops it until a newer
 * processor takes over).
 */
final class PartitionWorker {
    /** Batches read ahead per stream: one being applied while the next is read, one more after a fallback. */
    static final int MAX_QUEUED = 2;

    final int partition;
    final StreamCursor ops = new StreamCursor("ops");
    final StreamCursor events = new StreamCursor("events");
    final Deque<ReadBatch> opsBatches = new ArrayDeque<>(MAX_QUEUED);
    final Deque<ReadBatch> eventsBatches = new ArrayDeque<>(MAX_QUEUED);
    /** Entries the last read returned, by the processor or by apply.lua. */
    int lastRead;
    String haltedBy;
    int consecutiveGaps;
    /** Bumped whenever queued batches become void (recovery, lost lease): replies to older steps are ignored. */
    int generation;

    PartitionWorker(int partition) {
        this.partition = partition;
    }

    Deque<ReadBatch> batches(String topic) {
        return "ops".equals(topic) ? opsBatches : eventsBatches;
    }

    /** The stream that still claims pending entries, or null when both are past CLAIM. */
    StreamCursor claiming() {
        if (ops.mode == StreamCursor.Mode.CLAIM) {
            return ops;
        }
        return events.mode == StreamCursor.Mode.CLAIM ? events : null;
    }

    /** Both streams read new entries: the processor reads them itself and applies them a round later. */
    boolean live() {
        return ops.mode == StreamCursor.Mode.LIVE && events.mode == StreamCursor.Mode.LIVE;
    }

    /**
     * Whether the last read returned fewer than {@code backlog} entries (never, for 0). Such a read takes
     * a live partition off the fast path, where the processor reads and folds: apply.lua then reads and
     * applies in one call, which costs Redis more per entry but the processor almost nothing, and one
     * round trip less from append to apply.
     */
    boolean lastReadSmall(int backlog) {
        return lastRead < backlog;
    }

    /** Live, nothing read ahead, and the last read was small: apply.lua reads the next batch itself. */
    boolean scriptReads(int backlog) {
        return live() && opsBatches.isEmpty() && eventsBatches.isEmpty() && lastReadSmall(backlog);
    }

    boolean mayReadAhead() {
        return live() && opsBatches.size() < MAX_QUEUED && eventsBatches.size() < MAX_QUEUED;
    }

    /** Back to claiming every pending entry: what was read ahead is re-read from the pending list. */
    void restartRecovery() {
        ops.restartRecovery();
        events.restartRecovery();
        opsBatches.clear();
        eventsBatches.clear();
        generation++;
    }

    void abandon() {
        opsBatches.clear();
        eventsBatches.clear();
        generation++;
    }

    boolean halted() {
        return haltedBy != null;
    }
}
