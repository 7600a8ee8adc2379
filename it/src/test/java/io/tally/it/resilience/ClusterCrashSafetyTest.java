package io.tally.it.resilience;

import io.tally.common.config.TallyConfig;
import io.tally.producer.TallyProducer;
import io.tally.testkit.PipelineInspector;
import io.tally.it.harness.PacedSender;
import io.tally.testkit.ProcessorFleet;
import io.tally.testkit.RedisCluster;
import io.tally.testkit.RedisServer;
import io.tally.testkit.Workload;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The crash-safety scenario of the core issue on a 3-master Redis Cluster: processor JVMs in cluster
 * mode are SIGKILLed every few seconds and replaced while a producer writes; afterwards every counter
 * equals the model, nothing is pending, and every checkpoint is its stream's last entry.
 */
@Tag("slow")
class ClusterCrashSafetyTest {
    private static final int P = 24;
    private static final int OPS = 60_000;
    private ProcessorFleet fleet;
    private RedisCluster cluster;

    @AfterEach
    void stopAll() {
        if (fleet != null) {
            fleet.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void sigkilledProcessorsLoseAndDoubleNothingOnTheCluster() throws Exception {
        RedisServer.requireAvailable();
        cluster = RedisCluster.start();
        TallyConfig config = cluster.config(P).build();
        Workload workload = Workload.random(20261124L, OPS, 500);
        List<String> args = List.of("--redis-mode", "cluster", "--partitions", Integer.toString(P),
                "--lease-ttl-ms", "2000", "--batch-size", "200");
        fleet = new ProcessorFleet("c", cluster.seedUrls(), config.namespace(), args).start(3);
        Thread producer = PacedSender.start(config, workload.ops(), 5_000, 500, TallyProducer::send);
        int kills = fleet.killAndReplaceWhile(producer::isAlive, 3, 2000, 1500, new Random(2));
        producer.join();

        RedissonClient client = cluster.client();
        try {
            PipelineInspector inspector = new PipelineInspector(client, config.namespace(), P);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(inspector.checkpointMismatches()).isEmpty());
            assertThat(inspector.opsAdded()).isEqualTo(OPS);
            assertThat(inspector.counters()).as("counters after %d kills", kills)
                    .isEqualTo(new HashMap<>(workload.expected()));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(inspector.pending()).isZero());
            System.out.printf("cluster crash safety: %d ops, %d processor kills, counters exact%n", OPS, kills);
        } finally {
            client.shutdown();
        }
    }
}
