package io.tally.common.internal.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.tally.common.internal.status.PartitionStatus;
import io.tally.common.internal.status.PartitionStatusReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Publishes every partition's lag as gauges, read from Redis every few seconds by a
 * {@link PartitionStatusReader}: right for partitions that no live processor owns, which carry the
 * owner label {@code none}. Gauges (Prometheus names, all with {@code namespace} and
 * {@code partition}):
 * <ul>
 *   <li>{@code tally_partition_lag{topic,owner}}: entries not yet delivered to the group;</li>
 *   <li>{@code tally_partition_pending{topic}}: delivered, not yet acknowledged;</li>
 *   <li>{@code tally_partition_length{topic}}: entries in the stream (XLEN);</li>
 *   <li>{@code tally_partition_oldest_pending_age_seconds{topic}}: age of the oldest pending entry
 *       by its id time, against Redis's clock;</li>
 *   <li>{@code tally_partition_owned{owner}}: 1 for the partition's current owner;</li>
 *   <li>{@code tally_dlq_entries}: entries in the dead-letter stream.</li>
 * </ul>
 * A failed read keeps the last values and counts {@code tally_partition_status_errors_total}.
 */
public final class PartitionLagCollector implements AutoCloseable {
    /** Owner label of a partition whose lease no processor holds. */
    public static final String NO_OWNER = "none";
    private static final Logger log = LoggerFactory.getLogger(PartitionLagCollector.class);

    private final PartitionStatusReader reader;
    private final Tags tags;
    private final MultiGauge lag;
    private final MultiGauge pending;
    private final MultiGauge length;
    private final MultiGauge oldestAge;
    private final MultiGauge owned;
    private final MultiGauge dlq;
    private final Counter errors;
    private final MeterRegistry registry;
    private final ScheduledExecutorService timer;

    /** Registers the gauges; {@link #start(long)} begins sampling. */
    public PartitionLagCollector(PartitionStatusReader reader, MeterRegistry registry, String namespace) {
        this.reader = reader;
        this.registry = registry;
        this.tags = Tags.of("namespace", namespace);
        this.lag = gauge("tally.partition.lag", null, "Entries of the partition's stream not yet delivered to the consumer group");
        this.pending = gauge("tally.partition.pending", null, "Entries delivered to the group but not yet acknowledged");
        this.length = gauge("tally.partition.length", null, "Entries in the partition's input stream (XLEN)");
        this.oldestAge = gauge("tally.partition.oldest.pending.age", "seconds",
                "Age of the oldest pending entry (Redis time minus its id time); 0 when none is pending");
        this.owned = gauge("tally.partition.owned", null,
                "1 for the processor holding the partition's lease (owner=none when no processor holds it)");
        this.dlq = gauge("tally.dlq.entries", null, "Entries in the partition's dead-letter stream");
        this.errors = Counter.builder("tally.partition.status.errors")
                .description("Failed reads of the partitions' status from Redis")
                .tags(tags).register(registry);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tally-lag-collector");
            t.setDaemon(true);
            return t;
        });
    }

    /** Samples now and then every {@code intervalMs}. */
    public PartitionLagCollector start(long intervalMs) {
        timer.scheduleWithFixedDelay(this::sampleQuietly, 0, intervalMs, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Reads every partition once and replaces the gauges' rows; throws when Redis cannot be read. */
    public List<PartitionStatus> sample() {
        List<PartitionStatus> statuses = reader.read();
        publish(statuses);
        return statuses;
    }

    private void sampleQuietly() {
        try {
            sample();
        } catch (RuntimeException e) {
            errors.increment();
            log.warn("could not read the partitions' status from Redis: {}", e.toString());
        }
    }

    private void publish(List<PartitionStatus> statuses) {
        List<MultiGauge.Row<?>> lagRows = new ArrayList<>();
        List<MultiGauge.Row<?>> pendingRows = new ArrayList<>();
        List<MultiGauge.Row<?>> lengthRows = new ArrayList<>();
        List<MultiGauge.Row<?>> ageRows = new ArrayList<>();
        List<MultiGauge.Row<?>> ownedRows = new ArrayList<>();
        List<MultiGauge.Row<?>> dlqRows = new ArrayList<>();
        for (PartitionStatus s : statuses) {
            Tags partition = Tags.of("partition", Integer.toString(s.partition()));
            String owner = s.owner().orElse(NO_OWNER);
            ownedRows.add(MultiGauge.Row.of(partition.and("owner", owner), 1));
            dlqRows.add(MultiGauge.Row.of(partition, s.dlqLength()));
            for (PartitionStatus.TopicStatus t : s.topics()) {
                Tags topic = partition.and("topic", t.topic());
                lagRows.add(MultiGauge.Row.of(topic.and("owner", owner), t.lag()));
                pendingRows.add(MultiGauge.Row.of(topic, t.pending()));
                lengthRows.add(MultiGauge.Row.of(topic, t.length()));
                ageRows.add(MultiGauge.Row.of(topic, t.oldestPendingAgeSeconds(s.redisTimeMs())));
            }
        }
        // overwrite=true drops rows that are gone, e.g. the old owner's after a rebalance.
        lag.register(lagRows, true);
        pending.register(pendingRows, true);
        length.register(lengthRows, true);
        oldestAge.register(ageRows, true);
        owned.register(ownedRows, true);
        dlq.register(dlqRows, true);
    }

    /** Stops sampling and removes every gauge. */
    @Override
    public void close() {
        timer.shutdownNow();
        for (MultiGauge g : List.of(lag, pending, length, oldestAge, owned, dlq)) {
            g.register(List.of(), true);
        }
        registry.remove(errors);
    }

    private MultiGauge gauge(String name, String unit, String description) {
        return MultiGauge.builder(name).description(description).baseUnit(unit).tags(tags).register(registry);
    }
}
