package io.tally.it.resilience;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.HashSlot;
import io.tally.common.model.CounterOp;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.RealClusterExtension;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The processor on a 3-master Cluster with its default direct hot path: a backlog drained exactly over
 * one connection per master (named {@code tally-hot:<consumer>} in each master's CLIENT LIST), and a
 * partition's slot migrated to another master mid-drain (ASK and TRYAGAIN while its keys move, MOVED
 * after) with every counter still exact.
 */
@Tag("slow")
class ClusterDirectHotPathTest {
    private static final int P = 12;

    @RegisterExtension
    static final RealClusterExtension cluster = new RealClusterExtension();

    @Test
    void drainOnThreeMastersIsExactOverDirectConnections() {
        TallyConfig config = cluster.get().config(P).build();
        Map<String, Long> model = new HashMap<>();
        send(config, 0, 30_000, model);
        Keys keys = TestRedis.keys(config);
        try (Processor processor = Processor.start(config, ProcessorListener.NOOP)) {
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() ->
                    assertThat(Counters.read(cluster.admin(), keys, P)).isEqualTo(model));
            assertThat(cluster.get().masters()).hasSize(3);
            for (RedisServer master : cluster.get().masters()) {
                assertThat(master.cli("CLIENT", "LIST")).as("clients of master %d", master.port())
                        .contains("name=tally-hot:");
            }
        }
    }

    @Test
    void slotMigratedMidDrainKeepsCountersExact() {
        TallyConfig config = cluster.get().config(P).set(TallyConfig.BATCH_SIZE, 50).build();
        Map<String, Long> model = new HashMap<>();
        send(config, 0, 60_000, model);
        Keys keys = TestRedis.keys(config);
        int slot = HashSlot.ofKey(keys.ops(0));
        RedisServer from = cluster.get().masterOf(slot);
        RedisServer to = cluster.get().masters().stream().filter(m -> m != from).findFirst().orElseThrow();
        try (Processor processor = Processor.start(config, ProcessorListener.NOOP)) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                    .until(() -> !cluster.admin().getMap(keys.counters(0)).isEmpty());
            Map<String, Long> before = Counters.read(cluster.admin(), keys, P);
            cluster.get().migrateSlot(slot, to);
            assertThat(before).as("the drain was under way when the slot moved").isNotEqualTo(model);
            send(config, 60_000, 5_000, model);
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() ->
                    assertThat(Counters.read(cluster.admin(), keys, P)).isEqualTo(model));
            assertThat(cluster.get().masterOf(slot).port()).isEqualTo(to.port());
            assertThat(to.cli("CLIENT", "LIST")).contains("name=tally-hot:");
        }
    }

    /** Sends ops {@code from} .. {@code from + n} (every third with an id) and adds them to the model. */
    private static void send(TallyConfig config, int from, int n, Map<String, Long> model) {
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            List<CompletableFuture<?>> sends = new ArrayList<>();
            for (int i = from; i < from + n; i++) {
                String counter = "c" + (i % 101);
                long by = i % 5 - 1;
                CounterOp op = i % 3 == 0 ? CounterOp.incr(counter, by).withId("id" + i) : CounterOp.incr(counter, by);
                sends.add(producer.send(op));
                model.merge(counter, by, Long::sum);
            }
            producer.flush();
            sends.forEach(CompletableFuture::join);
        }
    }
}
