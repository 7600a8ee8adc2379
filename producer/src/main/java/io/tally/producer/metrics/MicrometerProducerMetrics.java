package io.tally.producer.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.tally.common.internal.metrics.Histograms;
import io.tally.common.internal.metrics.OwnedMeters;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.internal.SendFailureReason;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link ProducerMetrics} on a Micrometer registry. Exported (Prometheus names):
 * <ul>
 *   <li>{@code tally_producer_records_sent_total{topic,result}}: finished sends by result
 *       ({@code ok}, {@code duplicate}, {@code conflict}, {@code error}, {@code unknown}, {@code backpressure});</li>
 *   <li>{@code tally_producer_send_seconds{topic}}: histogram of send latency, from the call to the
 *       reply (sends refused by backpressure are not timed);</li>
 *   <li>{@code tally_producer_batch_size}: histogram of entries per pipeline;</li>
 *   <li>{@code tally_producer_backpressure_rejections_total{topic}}: sends refused fast because a
 *       partition's backlog or the buffer was full;</li>
 *   <li>{@code tally_producer_duplicates_total{topic}}: idempotent sends whose id was already
 *       written (no second entry);</li>
 *   <li>{@code tally_producer_send_failures_total{topic,reason}}: sends that failed (result {@code error}
 *       or {@code unknown}) by why: which way Redis failed ({@code unreachable}, {@code timeout},
 *       {@code out_of_memory}, {@code read_only}, {@code busy}, {@code loading}, {@code no_permission},
 *       {@code cluster}), or {@code session_lost}, {@code namespace}, {@code stream_ids_exhausted},
 *       {@code replica_timeout}, {@code script_error}, {@code other}.</li>
 * </ul>
 * Every meter carries {@code namespace}. The known topics and results start at 0, so that rates are
 * defined before the first event. {@link #close()} removes every meter.
 */
public final class MicrometerProducerMetrics implements ProducerMetrics, AutoCloseable {
    static final List<String> TOPICS = List.of("ops", "events");
    static final List<String> RESULTS = List.of("ok", "duplicate", "conflict", "error", "unknown", "backpressure");

    private final OwnedMeters meters;
    private final Tags tags;
    private final DistributionSummary batchSize;

    /**
     * Registers the producer's meters, tagged with the namespace.
     *
     * @param registry  where the meters go
     * @param namespace the {@code namespace} tag
     */
    public MicrometerProducerMetrics(MeterRegistry registry, String namespace) {
        this.meters = new OwnedMeters(registry);
        this.tags = Tags.of("namespace", namespace);
        this.batchSize = meters.get("batch", r -> DistributionSummary.builder("tally.producer.batch.size")
                .description("Entries per pipeline sent to Redis")
                .tags(tags)
                .serviceLevelObjectives(Histograms.batchBuckets())
                .register(r));
        for (String topic : TOPICS) {
            RESULTS.forEach(result -> sentCounter(topic, result));
            latency(topic);
            backpressure(topic);
            duplicates(topic);
            SendFailureReason.ALL.forEach(reason -> failures(topic, reason));
        }
    }

    @Override
    public void sent(String topic, String result, long latencyNanos) {
        sentCounter(topic, result).increment();
        if ("backpressure".equals(result)) {
            backpressure(topic).increment();
            return;
        }
        if ("duplicate".equals(result)) {
            duplicates(topic).increment();
        }
        latency(topic).record(latencyNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void failed(String topic, String reason) {
        failures(topic, reason).increment();
    }

    @Override
    public void batch(int size) {
        batchSize.record(size);
    }

    @Override
    public void close() {
        meters.close();
    }

    private Counter sentCounter(String topic, String result) {
        return meters.get(List.of("sent", topic, result), r -> Counter.builder("tally.producer.records.sent")
                .description("Sends finished, by topic and result (ok, duplicate, conflict, error, unknown, backpressure)")
                .tags(tags).tag("topic", topic).tag("result", result)
                .register(r));
    }

    private Timer latency(String topic) {
        return meters.get(List.of("latency", topic), r -> Timer.builder("tally.producer.send")
                .description("Send latency from the call to Redis's reply")
                .tags(tags).tag("topic", topic)
                .serviceLevelObjectives(Histograms.latencyBuckets())
                .register(r));
    }

    private Counter backpressure(String topic) {
        return meters.get(List.of("backpressure", topic), r -> Counter.builder("tally.producer.backpressure.rejections")
                .description("Sends refused at once because the partition's backlog or the send buffer was full")
                .tags(tags).tag("topic", topic)
                .register(r));
    }

    private Counter failures(String topic, String reason) {
        return meters.get(List.of("failures", topic, reason), r -> Counter.builder("tally.producer.send.failures")
                .description("Sends that failed (result error or unknown), by topic and why (the way Redis failed, ...)")
                .tags(tags).tag("topic", topic).tag("reason", reason)
                .register(r));
    }

    private Counter duplicates(String topic) {
        return meters.get(List.of("duplicates", topic), r -> Counter.builder("tally.producer.duplicates")
                .description("Idempotent sends dropped because their id was already written within the dedupe window")
                .tags(tags).tag("topic", topic)
                .register(r));
    }
}
