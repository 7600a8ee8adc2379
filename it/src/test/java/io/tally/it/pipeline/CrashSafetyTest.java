package io.tally.it.pipeline;

import io.tally.common.config.TallyConfig;
import io.tally.common.model.CounterOp;
import io.tally.producer.TallyProducer;
import io.tally.testkit.PipelineInspector;
import io.tally.testkit.ProcessorFleet;
import io.tally.it.harness.PacedSender;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import io.tally.testkit.Workload;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three processor JVMs apply 200,000 random operations while one of them is SIGKILLed every few
 * seconds and replaced. Afterwards every counter equals the model, nothing is pending, and each
 * checkpoint is the last entry of its stream.
 */
@Tag("slow")
@ExtendWith(RealRedisExtension.class)
class CrashSafetyTest {
    private static final int P = 16;
    private ProcessorFleet fleet;

    @AfterEach
    void stopAll() {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void sigkilledProcessorsLoseAndDoubleNothing(TestRedis redis) throws Exception {
        TallyConfig config = redis.config(P).build();
        Workload workload = Workload.random(20261123L, 200_000, 1_000);
        List<String> args = List.of("--partitions", Integer.toString(P), "--lease-ttl-ms", "2000", "--batch-size", "200");
        fleet = new ProcessorFleet("p", redis.url(), config.namespace(), args).start(3);
        Thread producer = PacedSender.start(config, workload.ops(), 10_000, 400, TallyProducer::send);
        int kills = fleet.killAndReplaceWhile(producer::isAlive, 3, 2000, 1500, new Random(1));
        producer.join();

        RedissonClient client = redis.client();
        try {
            PipelineInspector inspector = new PipelineInspector(client, config.namespace(), P);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(inspector.checkpointMismatches()).isEmpty());
            assertThat(inspector.opsAdded()).isEqualTo(200_000);
            Map<String, Long> actual = inspector.counters();
            Map<String, Long> expected = new java.util.HashMap<>(workload.expected());
            assertThat(actual).as("counters after %d kills", kills).isEqualTo(expected);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(inspector.pending()).isZero());
            assertThat(kills).isGreaterThanOrEqualTo(3);
        } finally {
            client.shutdown();
        }
    }
}
