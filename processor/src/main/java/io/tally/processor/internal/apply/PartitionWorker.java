package io.tally.processor.internal.apply;

import io.tally.processor.internal.batch.ReadBatch;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;

/**
 * The state of one owned partition: a cursor per input stream, the batches read but not yet applied,
 * whether the partition is halted (an entry with an unknown format version stops it; the halt is
 * checked again every {@value #VERSION_RECHECK_SECONDS} s, so that removing the entry or a newer
 * processor ends it) and whether its scripts keep failing ({@link Trouble}).
 */
final class PartitionWorker {
    /** Batches read ahead per stream: one being applied while the next is read, one more after a fallback. */
    static final int MAX_QUEUED = 2;
    static final long VERSION_RECHECK_SECONDS = 5;

    final int partition;
    final StreamCursor ops = new StreamCursor("ops");
    final StreamCursor events = new StreamCursor("events");
    final Deque<ReadBatch> opsBatches = new ArrayDeque<>(MAX_QUEUED);
    final Deque<ReadBatch> eventsBatches = new ArrayDeque<>(MAX_QUEUED);
    /** Entries the last read returned, by the processor or by apply.lua. */
    int lastRead;
    /** The unknown format version that halted the partition, or null. */
    String haltedBy;
    /** System.nanoTime() at which a version halt is checked again (re-read from the checkpoint). */
    long versionRecheckAt;
    /** Failing scripts: back-off and narrowing; null while the partition's scripts succeed. */
    Trouble trouble;
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

    /** Halted by an unknown version: stopped until the next re-check. */
    void haltOnVersion(String version, long now) {
        haltedBy = version;
        versionRecheckAt = now + TimeUnit.SECONDS.toNanos(VERSION_RECHECK_SECONDS);
    }

    /**
     * Whether the partition sends nothing this round: backing off after a failure, or halted by a version
     * whose re-check is not due. A due re-check starts recovery over, which reads the halting entry again
     * from the pending list (or finds it deleted).
     */
    boolean paused(long now) {
        if (trouble != null && trouble.waiting(now)) {
            return true;
        }
        if (haltedBy != null && versionRecheckAt != 0) {
            if (now - versionRecheckAt < 0) {
                return true;
            }
            versionRecheckAt = 0; // re-checking: until the next reply says VERSION again or goes past it
            restartRecovery();
        }
        return false;
    }

    StreamCursor cursor(String topic) {
        return "ops".equals(topic) ? ops : events;
    }
}
