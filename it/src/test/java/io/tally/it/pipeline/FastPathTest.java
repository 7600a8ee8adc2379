package io.tally.it.pipeline;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.trigger.ThresholdOp;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerMode;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.RedisProcessor;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.producer.triggers.TriggerClient;
import io.tally.testkit.PipelineInspector;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import io.tally.testkit.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Which path applies what: with a backlog, plain counter batches go through the fast script (folded per
 * counter) and never fall back; a counter with a threshold trigger is declined by the fast script and
 * judged entry by entry; both end exact. fast-path-min-read above batch-size keeps apply.lua on it all;
 * at its default (0) a live partition stays on the fast path when its reads come back empty.
 */
@ExtendWith(RealRedisExtension.class)
class FastPathTest {
    private static final int P = 4;
    /** Increments sent one at a time to a live processor in the trickle tests. */
    private static final int TRICKLE = 10;

    @Test
    void plainCounterBatchesNeverFallBackAndEndExact(TestRedis testRedis) {
        // A full batch switches a partition to the fast path; the backlog is 7,500 entries a partition.
        TallyConfig config = testRedis.config(P).build();
        RedissonClient redis = testRedis.client();
        Workload workload = Workload.random(7, 30_000, 200);
        RecordingMetrics metrics = new RecordingMetrics();
        try (TallyProducer producer = RedisTallyProducer.create(redis, false, config, ProducerMetrics.NOOP)) {
            workload.ops().forEach(producer::send);
            producer.flush();
        }
        try (Processor processor = RedisProcessor.start(redis, config, metrics)) {
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
        // After the first read (apply.lua's, while the partition recovers) the partition is on the fast
        // path; its next batch holds crossings up and back, a net change of 0 for temp: only an entry-by-entry
        // apply sees the five crossings, so the fast script must hand the batch over.
        assertThat(crossingsInBatchesOfSix(testRedis, 0).get("threshold")).isNotNull().hasPositiveValue();
    }

    @Test
    void fastPathMinReadAboveTheBatchSizeTurnsTheFastPathOff(TestRedis testRedis) {
        assertThat(crossingsInBatchesOfSix(testRedis, 7)).isEmpty();
    }

    @Test
    void aLivePartitionStaysOnTheFastPathWhenItsReadsComeBackEmpty() throws InterruptedException {
        ScriptCalls calls = scriptCallsDuringATrickle(0);
        assertThat(calls.applyLua()).isZero();
        assertThat(calls.fastScript()).isGreaterThanOrEqualTo(TRICKLE);
    }

    @Test
    void withFastPathMinReadOneAnEmptyReadHandsThePartitionToApplyLua() throws InterruptedException {
        ScriptCalls calls = scriptCallsDuringATrickle(1);
        assertThat(calls.applyLua()).isGreaterThanOrEqualTo(TRICKLE);
    }

    /** EVALSHA calls of apply.lua and of the fast script (apply_counters.lua) that Redis served. */
    private record ScriptCalls(long applyLua, long fastScript) {
    }

    /**
     * Sends {@value #TRICKLE} increments one at a time to a live processor, each once the one before is
     * applied and the processor has read nothing for a while, and counts the apply scripts Redis ran
     * meanwhile (its slow log, on a redis-server of this test's own, logs every command).
     */
    private ScriptCalls scriptCallsDuringATrickle(int fastPathMinRead) throws InterruptedException {
        RedisServer.requireAvailable();
        try (RedisServer server = RedisServer.start("--slowlog-log-slower-than", "0", "--slowlog-max-len", "100000")) {
            TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                    .set(TallyConfig.PARTITIONS, P).set(TallyConfig.FAST_PATH_MIN_READ, fastPathMinRead).build();
            RedissonClient redis = RedisClientFactory.create(config);
            Namespace.create(redis, config);
            try (TallyProducer producer = RedisTallyProducer.create(redis, false, config, ProducerMetrics.NOOP);
                 Processor processor = RedisProcessor.start(redis, config, ProcessorListener.NOOP)) {
                PipelineInspector inspector = new PipelineInspector(redis, config.namespace(), P);
                producer.incr("trickle", 1).join();
                await().atMost(Duration.ofSeconds(20)).until(() -> inspector.counters().getOrDefault("trickle", 0L) == 1L);
                Thread.sleep(300); // recovery is over: the partition is live
                server.cli("SLOWLOG", "RESET");
                for (long i = 2; i <= TRICKLE + 1; i++) {
                    producer.incr("trickle", 1).join();
                    long expected = i;
                    await().atMost(Duration.ofSeconds(10))
                            .until(() -> inspector.counters().getOrDefault("trickle", 0L) == expected);
                    Thread.sleep(30); // idle-poll-ms is 10: the partition's next reads come back empty
                }
                String log = server.cli("SLOWLOG", "GET", "100000");
                return new ScriptCalls(lines(log, LuaScript.resource("apply").sha()),
                        lines(log, LuaScript.resource("apply_counters").sha()));
            } finally {
                redis.shutdown();
            }
        }
    }

    private static long lines(String text, String line) {
        return Arrays.stream(text.split("\n")).filter(line::equals).count();
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
        TriggerClient triggers = RedisTriggerClient.create(redis, config, InstantSource.system());
        Trigger gte = triggers.create(TriggerDefinition.threshold("temp", ThresholdOp.GTE, 1000)
                .mode(TriggerMode.EVERY).build());
        try (TallyProducer producer = RedisTallyProducer.create(redis, false, config, ProducerMetrics.NOOP)) {
            producer.set("temp", 500);
            for (int i = 0; i < 5; i++) {
                producer.incr("temp", 600);
                producer.decr("temp", 600);
            }
            producer.flush();
        }
        try (Processor processor = RedisProcessor.start(redis, config, metrics)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> triggers.get(gte.id()).orElseThrow().fireCount() == 5);
            PipelineInspector inspector = new PipelineInspector(redis, config.namespace(), P);
            await().atMost(Duration.ofSeconds(20)).until(() -> inspector.counters().getOrDefault("temp", 0L) == 500L
                    && inspector.checkpointMismatches().isEmpty());
        }
        return metrics.perEntry;
    }

    /** Counts what the apply path reports. */
    private static final class RecordingMetrics implements ProcessorListener {
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
