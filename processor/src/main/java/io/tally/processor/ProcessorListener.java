package io.tally.processor;

/**
 * What a processor reports; implementations must be cheap and never throw. {@link #NOOP} keeps the
 * apply path free of null checks.
 */
public interface ProcessorListener {
    ProcessorListener NOOP = new ProcessorListener() {
    };

    /** Entries applied (dead letters included) from {@code topic} ({@code ops} or {@code events}). */
    default void applied(String topic, int count) {
    }

    /** Entries delivered again that the checkpoint showed were already applied. */
    default void redelivered(String topic, int count) {
    }

    default void deadLetters(String topic, String reason, int count) {
    }

    /** Pending entries that Redis reported deleted before they were applied: lost. */
    default void lost(String topic, int count) {
    }

    /** {@code count} entries whose id time was {@code latencyMs} before they were applied. */
    default void endToEnd(long latencyMs, int count) {
    }

    /**
     * A counter batch applied entry by entry (apply.lua) instead of by the fast path, and why:
     * {@code entries} (the processor could not fold it: unique, windows, an invalid entry...),
     * {@code threshold}, {@code value} or {@code checkpoint} (the fast script declined it).
     */
    default void perEntryBatch(String reason) {
    }

    /** One pipelined round of apply scripts over all owned partitions. */
    default void round(long nanos, int partitions) {
    }

    default void partitionsOwned(int count) {
    }

    default void leaseAcquired(int partition) {
    }

    default void leaseLost(int partition) {
    }

    default void leaseReleased(int partition) {
    }

    /** This processor's assignment changed. */
    default void rebalance() {
    }

    default void gap(int partition) {
    }

    /**
     * A partition's script failed with a Redis error reply: {@code script_error} (possibly an entry's
     * fault; the batch is narrowed) or {@code redis_refused} (Redis's or the operator's; backs off only).
     */
    default void applyFailure(String reason) {
    }

    /** A poison entry (one apply.lua fails on) was dead-lettered with reason {@code script_error}. */
    default void poisonEntry(String topic) {
    }

    /** Partition {@code partition} started ({@code true}) or stopped being halted for {@code reason}. */
    default void partitionHalted(int partition, String reason, boolean halted) {
    }

    default void trimmed(String topic, long count) {
    }

    /** An apply call stopped its batch at {@code max-firings-per-call}; the rest stays pending for the next. */
    default void firingBudgetReached(int partition) {
    }

    /** Firings appended by triggers of {@code kind} ({@code event}, {@code threshold} or {@code time}). */
    default void triggersFired(String kind, int count) {
    }

    /**
     * How late a time trigger fired: Redis time of the firing minus the (latest) due time it covers, ms.
     * Includes the time its partition had no owner.
     */
    default void timeTriggerLateness(long lateMs) {
    }

    /**
     * {@code count} entries of {@code window} whose bucket was already past the window's retention when
     * they were applied: they changed the total only.
     */
    default void lateWindowEntries(String window, int count) {
    }

    /**
     * {@code count} entries of {@code window} whose stream id lay more than {@code series-future-ms}
     * ahead of Redis time (an id chosen by a writer): bucketed by their ts or by Redis time instead.
     */
    default void futureWindowEntries(String window, int count) {
    }

    /** Series buckets (count hashes and HyperLogLogs) that retention deleted. */
    default void seriesBucketsExpired(long count) {
    }

    /**
     * Redis lost state this processor restored: {@code what} is {@code meta} (the namespace's P) or
     * {@code group} (a consumer group on an input stream).
     */
    default void redisStateLost(String what) {
    }

    /** Applying stopped ({@code paused} true) or resumed for {@code reason}, e.g. {@code eviction_policy}. */
    default void paused(String reason, boolean paused) {
    }
}
