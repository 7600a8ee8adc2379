package io.tally.processor.pipeline;

import io.tally.common.config.TallyConfig;
import io.tally.common.trigger.ThresholdOp;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerMode;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorMetrics;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.triggers.TriggerClient;
import io.tally.testsupport.PipelineInspector;
import io.tally.testsupport.RealRedisExtension;
import io.tally.testsupport.TestRedis;
import io.tally.testsupport.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Which path applies what: with a backlog, plain counter batches go through the fast script (folded per
 * counter) and never fall back; a counter with a threshold trigger is declined by the fast script and
 * judged entry by entry; both end exact. fast-path-min-read above batch-size keeps apply.lua on it all.
 */
@ExtendWith(RealRedisExtension.class)
class FastPathTest {
    private static final int P = 4;

    @Test
    void plainCounterBatchesNeverFallBackAndEndExact(TestRedis testRedis) {
        // A full batch switches a partition to the fast path; the backlog is 7,500 entries a partition.
        TallyConfig config = testRedis.config(P).build();
        RedissonClient redis = testRedis.client();
        Workload workload = Workload.random(7, 30_000, 200);
        RecordingMetrics metrics = new RecordingMetrics();
        try (TallyProducer producer = TallyProducer.create(redis, config, ProducerMetrics.NOOP)) {
            workload.ops().forEach(producer::send);
            producer.flush();
        }
        try (Processor processor = Processor.start(redis, config, metrics)) {
            PipelineInspector inspector = new PipelineInspector(redis, config.namespace(), P);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(inspector.checkpointMismatches()).isEmpty();
                assertThat(inspector.counters()).isEqualTo(workload.expected());
            });
            assertThat(inspector.pending()).isZero();
        }
        assertThat(metrics.applied.get()).isEqualTo(30_000);
        assertThat(metrics.perEntry).isEmpty();
    }

    @Test
    void aCounterWithAThresholdTriggerIsJudgedEntryByEntry(TestRedis testRedis) {
        // The first read (apply.lua's) comes back full, which switches the partition to the fast path;
        // its next batch holds crossings up and back, a net change of 0 for temp: only an entry-by-entry
        // apply sees the five crossings, so the fast script must hand the batch over.
        assertThat(crossingsInBatchesOfSix(testRedis, 0).get("threshold")).isNotNull().hasPositiveValue();
    }

    @Test
    void fastPathMinReadAboveTheBatchSizeTurnsTheFastPathOff(TestRedis testRedis) {
        assertThat(crossingsInBatchesOfSix(testRedis, 7)).isEmpty();
    }

    /**
     * A set and five crossings up and back, all written before the processor starts, read six at a time.
     * Waits until the trigger fired five times and temp is back at 500; returns the fast path's
     * hand-overs by reason.
     */
    private Map<String, AtomicLong> crossingsInBatchesOfSix(TestRedis testRedis, int fastPathMinRead) {
        TallyConfig config = testRedis.config(P).set(TallyConfig.BATCH_SIZE, 6)
                .set(TallyConfig.FAST_PATH_MIN_READ, fastPathMinRead).build();
        RedissonClient redis = testRedis.client();
        RecordingMetrics metrics = new RecordingMetrics();
        TriggerClient triggers = TriggerClient.create(redis, config, InstantSource.system());
        Trigger gte = triggers.create(TriggerDefinition.threshold("temp", ThresholdOp.GTE, 1000)
                .mode(TriggerMode.EVERY).build());
        try (TallyProducer producer = TallyProducer.create(redis, config, ProducerMetrics.NOOP)) {
            producer.set("temp", 500);
            for (int i = 0; i < 5; i++) {
                producer.incr("temp", 600);
                producer.decr("temp", 600);
            }
            producer.flush();
        }
        try (Processor processor = Processor.start(redis, config, metrics)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> triggers.get(gte.id()).orElseThrow().fireCount() == 5);
            PipelineInspector inspector = new PipelineInspector(redis, config.namespace(), P);
            await().atMost(Duration.ofSeconds(20)).until(() -> inspector.counters().getOrDefault("temp", 0L) == 500L
                    && inspector.checkpointMismatches().isEmpty());
        }
        return metrics.perEntry;
    }

    /** Counts what the apply path reports. */
    private static final class RecordingMetrics implements ProcessorMetrics {
        final AtomicLong applied = new AtomicLong();
        final Map<String, AtomicLong> perEntry = new ConcurrentHashMap<>();

        @Override
        public void applied(String topic, int count) {
            if (topic.equals("ops")) {
                applied.addAndGet(count);
            }
        }

        @Override
        public void perEntryBatch(String reason) {
            perEntry.computeIfAbsent(reason, r -> new AtomicLong()).incrementAndGet();
        }
    }
}
