package io.tally.processor.internal.apply;

import java.util.concurrent.TimeUnit;

/**
 * A partition whose scripts keep failing: how long it backs off before the next attempt (100 ms doubling
 * to 5 s, while the other partitions go on at full speed) and, when the failure may be an entry's
 * fault, how far the failing batch has been narrowed. The first script error retries the same batch;
 * each later one halves the batch size apply.lua is given, down to one entry, and a batch of one that
 * fails is the poison entry, which the worker then dead-letters. One stream is narrowed at a time: the
 * one whose batch failed, or the ops stream first when a call carried both.
 */
final class Trouble {
    static final long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** Whether an entry may be at fault (a script error) or only Redis or the operator (refused). */
    final boolean narrowing;
    /** The stream being narrowed. */
    String topic;
    /** Entries apply.lua may read per call while narrowing. */
    int limit;
    int failures;
    long backoffNanos;
    /** System.nanoTime() before which the partition sends nothing. */
    long resumeAt;
    /** The last error, for the dead letter and the halt's detail. */
    String error;
    /** A batch of one failed: the next call dead-letters that entry instead of applying it. */
    boolean poisonFound;

    Trouble(boolean narrowing, String topic, int batchSize) {
        this.narrowing = narrowing;
        this.topic = topic == null ? "ops" : topic;
        this.limit = Math.max(1, batchSize);
    }

    /**
     * Records one more failure at {@code now}: the next back-off step and, when narrowing and the entries
     * may be at fault (not a refusal by Redis meanwhile), a smaller batch.
     */
    void failed(String error, long now, boolean entryMayBeAtFault) {
        this.error = error;
        failures++;
        backoffNanos = backoffNanos == 0 ? FIRST_BACKOFF_NANOS : Math.min(MAX_BACKOFF_NANOS, backoffNanos * 2);
        resumeAt = now + backoffNanos;
        if (narrowing && entryMayBeAtFault && failures > 1) {
            if (limit == 1) {
                poisonFound = true;
            } else {
                limit = Math.max(1, limit / 2);
            }
        }
    }

    boolean waiting(long now) {
        return now - resumeAt < 0;
    }
}
