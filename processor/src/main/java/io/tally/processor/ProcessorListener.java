package io.tally.processor;

/**
 * What a processor reports as it works: applied entries, leases, halts, triggers, retention. Pass one to
 * {@link Processor#start(io.tally.common.config.TallyConfig, ProcessorListener)};
 * {@link io.tally.processor.metrics.MicrometerProcessorMetrics} turns the reports into Micrometer meters.
 * Every method does nothing by default. Implementations are called on the processor's threads: they must
 * be cheap, thread-safe and never throw. {@link #NOOP} keeps the apply path free of null checks.
 */
public interface ProcessorListener {
    /** Reports nothing. */
    ProcessorListener NOOP = new ProcessorListener() {
    };

    /**
     * Entries applied, dead letters included.
     *
     * @param topic {@code ops} or {@code events}
     * @param count how many
     */
    default void applied(String topic, int count) {
    }

    /**
     * Entries delivered again that the checkpoint showed were already applied.
     *
     * @param topic {@code ops} or {@code events}
     * @param count how many
     */
    default void redelivered(String topic, int count) {
    }

    /**
     * Entries moved to the dead-letter stream.
     *
     * @param topic  {@code ops} or {@code events}
     * @param reason the dead letter's reason code, e.g. {@code bad_number}
     * @param count  how many
     */
    default void deadLetters(String topic, String reason, int count) {
    }

    /**
     * Pending entries that Redis reported deleted before they were applied: lost.
     *
     * @param topic {@code ops} or {@code events}
     * @param count how many
     */
    default void lost(String topic, int count) {
    }

    /**
     * Entries applied {@code latencyMs} after their id time.
     *
     * @param latencyMs apply time minus the entry id's time, ms
     * @param count     how many entries had this latency
     */
    default void endToEnd(long latencyMs, int count) {
    }

    /**
     * A counter batch applied entry by entry (apply.lua) instead of by the fast path.
     *
     * @param reason {@code entries} (the processor could not fold it: unique, windows, an invalid entry...),
     *               {@code threshold}, {@code value} or {@code checkpoint} (the fast script declined it)
     */
    default void perEntryBatch(String reason) {
    }

    /**
     * One pipelined round of apply scripts over all owned partitions.
     *
     * @param nanos      how long it took, ns
     * @param partitions how many partitions it covered
     */
    default void round(long nanos, int partitions) {
    }

    /**
     * The number of partitions this processor owns changed.
     *
     * @param count partitions owned now
     */
    default void partitionsOwned(int count) {
    }

    /**
     * This processor took a partition's lease.
     *
     * @param partition the partition
     */
    default void leaseAcquired(int partition) {
    }

    /**
     * This processor lost a partition's lease (it could not renew it in time, or another took it over).
     *
     * @param partition the partition
     */
    default void leaseLost(int partition) {
    }

    /**
     * This processor released a partition's lease (a rebalance or a close).
     *
     * @param partition the partition
     */
    default void leaseReleased(int partition) {
    }

    /** This processor's assignment changed. */
    default void rebalance() {
    }

    /**
     * A batch did not follow the partition's checkpoint; the processor goes back to claim what is pending.
     *
     * @param partition the partition
     */
    default void gap(int partition) {
    }

    /**
     * A partition's script failed with a Redis error reply.
     *
     * @param reason {@code script_error} (possibly an entry's fault; the batch is narrowed) or
     *               {@code redis_refused} (Redis's or the operator's; backs off only)
     */
    default void applyFailure(String reason) {
    }

    /**
     * A poison entry (one apply.lua fails on) was dead-lettered with reason {@code script_error}.
     *
     * @param topic {@code ops} or {@code events}
     */
    default void poisonEntry(String topic) {
    }

    /**
     * A partition started or stopped being halted.
     *
     * @param partition the partition
     * @param reason    why, e.g. {@code unknown_version}
     * @param halted    true when the halt began, false when it ended
     */
    default void partitionHalted(int partition, String reason, boolean halted) {
    }

    /**
     * How many of this processor's partitions have time triggers that cannot fire now: {@code time_fire.lua}
     * found its firings stream out of ids, or a key it needs holding another type, and wrote nothing.
     *
     * @param partitions partitions blocked so, 0 when none
     */
    default void timeTriggersBlocked(int partitions) {
    }

    /**
     * Retention trimmed applied entries from a stream.
     *
     * @param topic the stream, e.g. {@code ops}, {@code events}, {@code firings} or {@code dlq}
     * @param count entries trimmed
     */
    default void trimmed(String topic, long count) {
    }

    /**
     * An apply call stopped its batch at {@code max-firings-per-call}; the rest stays pending for the next.
     *
     * @param partition the partition
     */
    default void firingBudgetReached(int partition) {
    }

    /**
     * An apply call stopped its batch before an entry whose counter or event type would bring it more than the
     * 1,000 active triggers one call loads (each is decoded inside the script); the rest stays pending for the next.
     *
     * @param partition the partition
     */
    default void triggerBudgetReached(int partition) {
    }

    /**
     * Firings appended by triggers.
     *
     * @param kind  {@code event}, {@code threshold} or {@code time}
     * @param count how many
     */
    default void triggersFired(String kind, int count) {
    }

    /**
     * How late a time trigger fired, including the time its partition had no owner.
     *
     * @param lateMs Redis time of the firing minus the (latest) due time it covers, ms
     */
    default void timeTriggerLateness(long lateMs) {
    }

    /**
     * Entries whose bucket was already past the window's retention when they were applied: they changed
     * the total only.
     *
     * @param window the window, e.g. {@code 1m}
     * @param count  how many
     */
    default void lateWindowEntries(String window, int count) {
    }

    /**
     * Entries whose stream id lay more than {@code series-future-ms} ahead of Redis time (an id chosen by
     * a writer): bucketed by their ts or by Redis time instead.
     *
     * @param window the window, e.g. {@code 1m}
     * @param count  how many
     */
    default void futureWindowEntries(String window, int count) {
    }

    /**
     * Series buckets (count hashes and HyperLogLogs) that retention deleted.
     *
     * @param count how many
     */
    default void seriesBucketsExpired(long count) {
    }

    /**
     * Redis lost state that this processor restored.
     *
     * @param what {@code meta} (the namespace's P) or {@code group} (a consumer group on an input stream)
     */
    default void redisStateLost(String what) {
    }

    /**
     * Applying stopped or resumed.
     *
     * @param reason why, e.g. {@code eviction_policy}
     * @param paused true when applying stopped, false when it resumed
     */
    default void paused(String reason, boolean paused) {
    }
}
