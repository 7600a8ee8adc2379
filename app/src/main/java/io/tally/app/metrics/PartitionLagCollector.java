package io.tally.app.metrics;

import io.tally.common.internal.redis.RedisFailures;
import io.tally.common.internal.concurrent.DaemonThreads;
import io.tally.common.internal.log.KeyedWarnings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.tally.producer.internal.admin.PartitionStatusReader;
import io.tally.producer.status.PartitionStatus;
import io.tally.producer.status.TopicStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Publishes the partitions a processor owns as gauges, read from Redis every few seconds by a
 * {@link PartitionStatusReader}. Each processor exports only the partitions whose lease it holds, so
 * every partition has one series per gauge across the cluster, whatever the number of processors
 * (during a hand-over both processors may export it for up to one sampling interval). Gauges
 * (Prometheus names, all with {@code namespace}):
 * <ul>
 *   <li>{@code tally_partition_lag{partition,topic,processor}}: entries not yet delivered to the group (the
 *       stream's length, an upper bound, when Redis cannot count them);</li>
 *   <li>{@code tally_partition_pending{partition,topic}}: delivered, not yet acknowledged;</li>
 *   <li>{@code tally_partition_length{partition,topic}}: entries in the stream (XLEN);</li>
 *   <li>{@code tally_partition_oldest_pending_age_seconds{partition,topic}}: age of the oldest pending entry
 *       by its id time, against Redis's clock;</li>
 *   <li>{@code tally_partition_owned{partition,processor}}: 1 (the exporting processor holds the lease);</li>
 *   <li>{@code tally_dlq_entries{partition}}: entries in the dead-letter stream;</li>
 *   <li>{@code tally_partitions_unowned}: partitions whose lease no processor holds, exported by every
 *       processor (a partition nobody owns has no other series).</li>
 * </ul>
 * {@code processor} is the processor id, stable across restarts; the lease value, which is not, is never
 * a label. A failed read keeps the last values and counts {@code tally_partition_status_errors_total}. A
 * partition whose state cannot be read (a key another program made of another type) counts one there per sample
 * and is logged as a WARN naming the key (at most one a minute per partition); its lag, pending, length, age and
 * dead-letter rows are dropped, never left at their last value, while the other partitions' are updated.
 */
public final class PartitionLagCollector implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PartitionLagCollector.class);

    private final PartitionStatusReader reader;
    private final Owner owner;
    private final Tags tags;
    private final GaugeRows lag;
    private final GaugeRows pending;
    private final GaugeRows length;
    private final GaugeRows oldestAge;
    private final GaugeRows owned;
    private final GaugeRows dlq;
    private final GaugeRows unowned;
    private final Counter errors;
    private final MeterRegistry registry;
    private final ScheduledExecutorService timer;
    private final KeyedWarnings unreadableWarnings = new KeyedWarnings(log, 60_000);

    /**
     * The processor a collector runs in.
     *
     * @param processorId its id, the {@code processor} label
     * @param leaseValue  the value of the leases it holds ({@code <processor id>:<token>}, new at every start):
     *                    partitions whose lease holds it are exported
     */
    public record Owner(String processorId, String leaseValue) {
    }

    /** Registers the gauges of the partitions {@code owner} holds; {@link #start(long)} begins sampling. */
    public PartitionLagCollector(PartitionStatusReader reader, MeterRegistry registry, String namespace, Owner owner) {
        this.reader = reader;
        this.owner = owner;
        this.registry = registry;
        this.tags = Tags.of("namespace", namespace);
        this.lag = gauge("tally.partition.lag", null, "Entries of the partition's stream not yet delivered to the consumer group");
        this.pending = gauge("tally.partition.pending", null, "Entries delivered to the group but not yet acknowledged");
        this.length = gauge("tally.partition.length", null, "Entries in the partition's input stream (XLEN)");
        this.oldestAge = gauge("tally.partition.oldest.pending.age", "seconds",
                "Age of the oldest pending entry (Redis time minus its id time); 0 when none is pending");
        this.owned = gauge("tally.partition.owned", null, "1: the processor named holds the partition's lease");
        this.dlq = gauge("tally.dlq.entries", null, "Entries in the partition's dead-letter stream");
        this.unowned = gauge("tally.partitions.unowned", null,
                "Partitions whose lease no processor holds (nothing applies them; no other gauge shows them)");
        this.errors = Counter.builder("tally.partition.status.errors")
                .description("Failed reads of the partitions' status from Redis")
                .tags(tags).register(registry);
        this.timer = DaemonThreads.scheduler("tally-lag-collector");
    }

    /** Samples now and then every {@code intervalMs}. */
    public PartitionLagCollector start(long intervalMs) {
        timer.scheduleWithFixedDelay(this::sampleQuietly, 0, intervalMs, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Reads every partition once and replaces the gauges' rows; throws when Redis cannot be read. */
    public List<PartitionStatus> sample() {
        List<PartitionStatus> statuses = reader.read().partitions();
        publish(statuses);
        reportUnreadable(statuses);
        return statuses;
    }

    private void sampleQuietly() {
        try {
            sample();
        } catch (RuntimeException e) {
            errors.increment();
            log.warn("could not read the partitions' status from Redis: {}", RedisFailures.line(e, null));
        }
    }

    private void reportUnreadable(List<PartitionStatus> statuses) {
        for (PartitionStatus s : statuses) {
            String subject = "partition " + s.partition();
            if (s.readable()) {
                unreadableWarnings.clear(subject);
                continue;
            }
            errors.increment();
            unreadableWarnings.warn(subject, "could not read the status of partition {}: {}; its lag, pending, "
                    + "length and dead-letter gauges are not exported until that key is deleted or repaired "
                    + "(docs/operations.md)", s.partition(), s.unreadable().orElse(""));
        }
    }

    private void publish(List<PartitionStatus> statuses) {
        Map<Tags, Double> lagRows = new HashMap<>();
        Map<Tags, Double> pendingRows = new HashMap<>();
        Map<Tags, Double> lengthRows = new HashMap<>();
        Map<Tags, Double> ageRows = new HashMap<>();
        Map<Tags, Double> ownedRows = new HashMap<>();
        Map<Tags, Double> dlqRows = new HashMap<>();
        int withoutOwner = 0;
        for (PartitionStatus s : statuses) {
            if (!s.owned()) {
                withoutOwner++;
            }
            if (!s.owner().equals(owner.leaseValue())) {
                continue;
            }
            Tags partition = Tags.of("partition", Integer.toString(s.partition()));
            ownedRows.put(partition.and("processor", owner.processorId()), 1.0);
            if (!s.readable()) {
                continue; // nothing known but its owner: no row rather than a stale or made-up one
            }
            dlqRows.put(partition, (double) s.deadLetters());
            for (Map.Entry<String, TopicStatus> e : List.of(Map.entry("ops", s.ops()), Map.entry("events", s.events()))) {
                TopicStatus t = e.getValue();
                Tags topic = partition.and("topic", e.getKey());
                long lagOrBound = t.lag() < 0 ? t.length() : t.lag();
                lagRows.put(topic.and("processor", owner.processorId()), (double) lagOrBound);
                pendingRows.put(topic, (double) t.pending());
                lengthRows.put(topic, (double) t.length());
                ageRows.put(topic, Math.max(0, t.oldestPendingAgeMs()) / 1000.0);
            }
        }
        // rows that are gone (partitions this processor no longer holds) are dropped
        lag.publish(lagRows);
        pending.publish(pendingRows);
        length.publish(lengthRows);
        oldestAge.publish(ageRows);
        owned.publish(ownedRows);
        dlq.publish(dlqRows);
        unowned.publish(Map.of(Tags.empty(), (double) withoutOwner));
    }

    /** Stops sampling and removes every gauge. */
    @Override
    public void close() {
        timer.shutdownNow();
        for (GaugeRows g : List.of(lag, pending, length, oldestAge, owned, dlq, unowned)) {
            g.clear();
        }
        registry.remove(errors);
    }

    private GaugeRows gauge(String name, String unit, String description) {
        return new GaugeRows(MultiGauge.builder(name).description(description).baseUnit(unit).tags(tags).register(registry));
    }
}
