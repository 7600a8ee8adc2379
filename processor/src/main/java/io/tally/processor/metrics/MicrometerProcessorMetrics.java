package io.tally.processor.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.tally.common.internal.metrics.Histograms;
import io.tally.common.internal.metrics.OwnedMeters;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.halt.PartitionHalts;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link ProcessorListener} on a Micrometer registry; docs/observability.md lists every meter with its
 * Prometheus name. Every meter carries {@code namespace}; counters of known topics and trigger kinds
 * start at 0 so that {@code rate()} and {@code increase()} are defined before the first event, and so do
 * the halted gauges of a partition from its first acquisition. {@link #close()} removes every meter.
 */
public final class MicrometerProcessorMetrics implements ProcessorListener, AutoCloseable {
    static final List<String> TOPICS = List.of("ops", "events");
    static final List<String> TRIGGER_KINDS = List.of("event", "threshold", "time");
    static final List<String> HALT_REASONS = List.of(PartitionHalts.UNKNOWN_VERSION, PartitionHalts.POISON_RETRYING,
            PartitionHalts.REDIS_REFUSED, PartitionHalts.STREAM_ID_EXHAUSTED);
    static final List<String> PER_ENTRY_REASONS = List.of("entries", "threshold", "value", "checkpoint", "future");
    /**
     * Dead-letter reasons of the wire format (DESIGN.md), started at 0: an alert on
     * {@code increase()} misses the first event of a series that appears with it.
     */
    static final List<String> DEAD_LETTER_REASONS = List.of("missing_field", "bad_number", "overflow", "unknown_op",
            "too_long", "wrong_partition", "empty_field", "control_char", "bad_utf8", "not_integer", "not_hll",
            "bad_windows", "script_error", "too_many_fields", "too_many_params", "too_large");

    private final OwnedMeters meters;
    private final Tags tags;
    private final AtomicInteger owned = new AtomicInteger();
    private final Map<String, AtomicInteger> pausedFlags = new ConcurrentHashMap<>();
    private final AtomicInteger timeTriggersBlocked = new AtomicInteger();
    /** Values of the halted gauges, by partition and reason (a gauge stays at 0 once its halt ended). */
    private final Map<List<Object>, AtomicInteger> halts = new ConcurrentHashMap<>();
    private final Timer round;
    private final Timer endToEnd;
    private final Timer lateness;
    private final Counter acquired;
    private final Counter lostLeases;
    private final Counter released;
    private final Counter rebalances;
    private final Counter gaps;
    private final Counter firingBudgetCuts;
    private final Counter triggerBudgetCuts;
    private final Counter seriesExpired;

    /**
     * Registers the processor's meters, tagged with the namespace.
     *
     * @param registry  where the meters go
     * @param namespace the {@code namespace} tag
     */
    public MicrometerProcessorMetrics(MeterRegistry registry, String namespace) {
        this.meters = new OwnedMeters(registry);
        this.tags = Tags.of("namespace", namespace);
        this.round = timer("round", "tally.processor.apply.round",
                "Duration of one pipelined round of apply scripts over the owned partitions");
        this.endToEnd = timer("e2e", "tally.processor.end.to.end",
                "Time from an entry's stream id (when Redis appended it) to its apply");
        this.lateness = timer("lateness", "tally.processor.time.trigger.lateness",
                "How long after its due time a time trigger fired");
        this.acquired = counter("tally.processor.lease.acquisitions", "Partition leases acquired");
        this.lostLeases = counter("tally.processor.lease.losses",
                "Partition leases lost (expired or taken while this processor was paused or cut off)");
        this.released = counter("tally.processor.lease.releases", "Partition leases released on rebalance or shutdown");
        this.rebalances = counter("tally.processor.rebalances", "Changes of this processor's partition assignment");
        this.gaps = counter("tally.processor.gaps",
                "Batches refused because they did not follow the checkpoint (recovered by re-claiming pending entries)");
        this.firingBudgetCuts = counter("tally.processor.firing.budget.cuts",
                "Apply calls that stopped their batch at max-firings-per-call (the rest applied by the next call)");
        this.triggerBudgetCuts = counter("tally.processor.trigger.budget.cuts",
                "Apply calls that stopped their batch at the 1,000 active triggers one call loads (the rest applied by "
                        + "the next call)");
        this.seriesExpired = counter("tally.processor.series.buckets.expired",
                "Series buckets (count hashes and HyperLogLogs) deleted by retention");
        meters.get("owned", r -> Gauge.builder("tally.processor.partitions.owned", owned, AtomicInteger::get)
                .description("Partitions whose lease this processor holds")
                .tags(tags)
                .register(r));
        for (String topic : TOPICS) {
            topicCounter("applied", topic);
            topicCounter("redelivered", topic);
            topicCounter("lost", topic);
            topicCounter("trimmed", topic);
            DEAD_LETTER_REASONS.forEach(reason -> deadLetterCounter(topic, reason));
            poisonCounter(topic);
        }
        TRIGGER_KINDS.forEach(this::firings);
        List.of("meta", "group").forEach(this::stateLostCounter);
        pausedFlag("eviction_policy");
        PER_ENTRY_REASONS.forEach(this::perEntryCounter);
        meters.get(List.of("time_triggers_blocked"), r -> Gauge.builder("tally.processor.time.triggers.blocked",
                        timeTriggersBlocked, AtomicInteger::get)
                .description("Partitions of this processor whose time triggers cannot fire now (their firings stream "
                        + "is out of ids, or a key time_fire.lua needs holds another type): nothing is written and the "
                        + "triggers fire late once the key is repaired")
                .tags(tags)
                .register(r));
    }

    @Override
    public void perEntryBatch(String reason) {
        perEntryCounter(reason).increment();
    }

    private Counter perEntryCounter(String reason) {
        return meters.get(List.of("per-entry", reason), r -> Counter.builder("tally.processor.per.entry.batches")
                .description("Counter batches applied entry by entry instead of by the fast path, by reason")
                .tags(tags).tag("reason", reason)
                .register(r));
    }

    @Override
    public void applied(String topic, int count) {
        topicCounter("applied", topic).increment(count);
    }

    @Override
    public void redelivered(String topic, int count) {
        topicCounter("redelivered", topic).increment(count);
    }

    @Override
    public void deadLetters(String topic, String reason, int count) {
        deadLetterCounter(topic, reason).increment(count);
    }

    private Counter deadLetterCounter(String topic, String reason) {
        return meters.get(List.of("dlq", topic, reason), r -> Counter.builder("tally.processor.dead.letters")
                .description("Entries moved to the partition's dead-letter stream, by topic and reason")
                .tags(tags).tag("topic", topic).tag("reason", reason)
                .register(r));
    }

    @Override
    public void lost(String topic, int count) {
        topicCounter("lost", topic).increment(count);
    }

    @Override
    public void endToEnd(long latencyMs, int count) {
        // Micrometer timers have no weighted record; the apply script already groups entries by ms.
        for (int i = 0; i < count; i++) {
            endToEnd.record(latencyMs, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void round(long nanos, int partitions) {
        round.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void partitionsOwned(int count) {
        owned.set(count);
    }

    @Override
    public void leaseAcquired(int partition) {
        acquired.increment();
        // an owned partition has a halted gauge per reason from its first acquisition, 0 until it halts
        HALT_REASONS.forEach(reason -> haltedFlag(partition, reason));
    }

    @Override
    public void leaseLost(int partition) {
        lostLeases.increment();
    }

    @Override
    public void leaseReleased(int partition) {
        released.increment();
    }

    @Override
    public void rebalance() {
        rebalances.increment();
    }

    @Override
    public void gap(int partition) {
        gaps.increment();
    }

    @Override
    public void firingBudgetReached(int partition) {
        firingBudgetCuts.increment();
    }

    @Override
    public void triggerBudgetReached(int partition) {
        triggerBudgetCuts.increment();
    }

    @Override
    public void applyFailure(String reason) {
        meters.get(List.of("apply-failure", reason), r -> Counter.builder("tally.processor.apply.failures")
                .description("Apply scripts that failed with a Redis error reply, by reason: script_error (possibly an "
                        + "entry's fault, narrowed to it) or redis_refused (OOM, NOPERM, READONLY...: backs off only)")
                .tags(tags).tag("reason", reason)
                .register(r)).increment();
    }

    @Override
    public void poisonEntry(String topic) {
        poisonCounter(topic).increment();
    }

    private Counter poisonCounter(String topic) {
        return meters.get(List.of("poison", topic), r -> Counter.builder("tally.processor.poison.entries")
                .description("Entries apply.lua failed on, isolated by narrowing and dead-lettered as script_error")
                .tags(tags).tag("topic", topic)
                .register(r));
    }

    @Override
    public void partitionHalted(int partition, String reason, boolean halted) {
        haltedFlag(partition, reason).set(halted ? 1 : 0);
    }

    private AtomicInteger haltedFlag(int partition, String reason) {
        List<Object> key = List.of("halted", partition, reason);
        AtomicInteger value = halts.computeIfAbsent(key, k -> new AtomicInteger());
        meters.get(key, r -> Gauge.builder("tally.processor.partition.halted", value, AtomicInteger::get)
                .description("1 while the partition cannot progress, by reason: unknown_version, poison_retrying, "
                        + "redis_refused, stream_id_exhausted")
                .tags(tags).tag("partition", Integer.toString(partition)).tag("reason", reason)
                .register(r));
        return value;
    }

    @Override
    public void trimmed(String topic, long count) {
        topicCounter("trimmed", topic).increment(count);
    }

    @Override
    public void triggersFired(String kind, int count) {
        firings(kind).increment(count);
    }

    @Override
    public void timeTriggerLateness(long ms) {
        lateness.record(Math.max(0, ms), TimeUnit.MILLISECONDS);
    }

    @Override
    public void lateWindowEntries(String window, int count) {
        meters.get(List.of("late", window), r -> Counter.builder("tally.processor.series.late.entries")
                .description("Entries whose series bucket was past its window's retention: counted in the total only")
                .tags(tags).tag("window", window)
                .register(r)).increment(count);
    }

    @Override
    public void futureWindowEntries(String window, int count) {
        meters.get(List.of("future", window), r -> Counter.builder("tally.processor.series.future.entries")
                .description("Entries whose stream id lay more than series-future-ms ahead of Redis time: "
                        + "bucketed by their ts or by Redis time")
                .tags(tags).tag("window", window)
                .register(r)).increment(count);
    }

    @Override
    public void seriesBucketsExpired(long count) {
        seriesExpired.increment(count);
    }

    @Override
    public void redisStateLost(String what) {
        stateLostCounter(what).increment();
    }

    private Counter stateLostCounter(String what) {
        return meters.get(List.of("state-lost", what), r -> Counter.builder("tally.redis.state.lost")
                .description("Times this processor found namespace state missing in Redis (meta or a consumer "
                        + "group: Redis lost its data) and restored it")
                .tags(tags).tag("what", what)
                .register(r));
    }

    @Override
    public void timeTriggersBlocked(int partitions) {
        timeTriggersBlocked.set(partitions);
    }

    @Override
    public void paused(String reason, boolean paused) {
        pausedFlag(reason).set(paused ? 1 : 0);
    }

    private AtomicInteger pausedFlag(String reason) {
        AtomicInteger flag = pausedFlags.computeIfAbsent(reason, k -> new AtomicInteger());
        meters.get(List.of("paused", reason), r -> Gauge.builder("tally.processor.paused", flag, AtomicInteger::get)
                .description("1 while this processor has stopped applying for the reason given (eviction_policy: "
                        + "Redis runs with an evicting maxmemory-policy)")
                .tags(tags).tag("reason", reason)
                .register(r));
        return flag;
    }

    @Override
    public void close() {
        meters.close();
    }

    private Counter topicCounter(String what, String topic) {
        return meters.get(List.of(what, topic), r -> Counter.builder(TopicCounter.valueOf(what).meterName)
                .description(TopicCounter.valueOf(what).description)
                .tags(tags).tag("topic", topic)
                .register(r));
    }

    private Counter firings(String kind) {
        return meters.get(List.of("firings", kind), r -> Counter.builder("tally.processor.trigger.firings")
                .description("Trigger firings appended to the firings stream, by trigger kind")
                .tags(tags).tag("kind", kind)
                .register(r));
    }

    private Counter counter(String name, String description) {
        return meters.get(name, r -> Counter.builder(name).description(description).tags(tags).register(r));
    }

    private Timer timer(String key, String name, String description) {
        return meters.get(key, r -> Timer.builder(name)
                .description(description)
                .tags(tags)
                .serviceLevelObjectives(Histograms.latencyBuckets())
                .register(r));
    }

    /** The per-topic counters: meter name and description. */
    private enum TopicCounter {
        applied("tally.processor.records.applied", "Entries applied (dead letters included), by topic"),
        redelivered("tally.processor.redelivered",
                "Entries delivered again that the checkpoint showed were already applied (acknowledged only)"),
        lost("tally.processor.lost", "Pending entries deleted from the stream before they were applied"),
        trimmed("tally.processor.retention.trimmed", "Entries removed by retention, by topic: ops and events once "
                + "all groups acknowledged them; firings, dlq, firings-dlq and triggers (finished ones) once older than their retention");

        final String meterName;
        final String description;

        TopicCounter(String meterName, String description) {
            this.meterName = meterName;
            this.description = description;
        }
    }
}
