package io.tally.it.pipeline;

import io.tally.common.config.TallyConfig;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.PipelineInspector;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The scenario the old pub/sub design got wrong: four workers, 1,000 incr, 500 decr, reset, 7 incr.
 * Each operation must be applied exactly once, whether or not anyone was listening when it was sent.
 */
@ExtendWith(RealRedisExtension.class)
class SeedScenarioTest {
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    @Test
    void fourProcessorsApplyEveryOperationExactlyOnce(TestRedis redis) throws Exception {
        TallyConfig config = redis.config(8).set(TallyConfig.LEASE_TTL_MS, 2000).build();
        for (int i = 0; i < 4; i++) {
            closeables.add(Processor.start(config, ProcessorListener.NOOP));
        }
        playSeedScenario(config);
        assertSevenAndAllAcknowledged(redis, config);
    }

    @Test
    void entriesWrittenBeforeAnyProcessorRanAreApplied(TestRedis redis) throws Exception {
        TallyConfig config = redis.config(8).set(TallyConfig.LEASE_TTL_MS, 2000).build();
        playSeedScenario(config);
        for (int i = 0; i < 4; i++) {
            closeables.add(Processor.start(config, ProcessorListener.NOOP));
        }
        assertSevenAndAllAcknowledged(redis, config);
    }

    private static void playSeedScenario(TallyConfig config) {
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            for (int i = 0; i < 1000; i++) {
                producer.incr("page:home", 1);
            }
            for (int i = 0; i < 500; i++) {
                producer.decr("page:home", 1);
            }
            producer.reset("page:home");
            for (int i = 0; i < 7; i++) {
                producer.incr("page:home", 1);
            }
            producer.flush();
        }
    }

    private void assertSevenAndAllAcknowledged(TestRedis redis, TallyConfig config) {
        RedissonClient client = redis.client();
        closeables.add(client::shutdown);
        PipelineInspector inspector = new PipelineInspector(client, config.namespace(), 8);
        int partition = new io.tally.common.internal.keys.Partitioner(8).partitionOf("page:home");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(inspector.checkpointMismatches()).isEmpty();
            assertThat(inspector.counter("page:home", partition)).isEqualTo(7);
        });
        assertThat(inspector.opsAdded()).isEqualTo(1508);
        assertThat(inspector.pending()).isZero();
        assertThat(inspector.counters()).containsOnlyKeys("page:home");
    }
}
