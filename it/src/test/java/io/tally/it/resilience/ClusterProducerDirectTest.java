package io.tally.it.resilience;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.HashSlot;
import io.tally.common.internal.keys.Keys;
import io.tally.common.model.CounterOp;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The producer on a 3-master Cluster with its defaults (acks=leader, {@code hot-path-connection direct})
 * appends over one connection of its own per master, named {@code tally-producer} in CLIENT LIST, and a
 * partition's slot migrated to another master while it sends (ASK and TRYAGAIN while the keys move, MOVED
 * after) leaves every send acknowledged and no entry written twice.
 */
@Tag("slow")
class ClusterProducerDirectTest {
    private static final int P = 16;

    @RegisterExtension
    static final RealClusterExtension cluster = new RealClusterExtension();

    @Test
    void sendsOnThreeMastersGoOverTheProducersOwnConnections() {
        TallyConfig config = cluster.get().config(P).build();
        Keys keys = TestRedis.keys(config);
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            List<CompletableFuture<SendResult>> sends = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                String counter = "c" + (i % 97);
                sends.add(producer.send(i % 3 == 0 ? CounterOp.incr(counter, 1).withId("id" + i) : CounterOp.incr(counter, 1)));
            }
            producer.flush();
            Map<Integer, Long> acked = ackedPerPartition(sends);
            assertThat(acked.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(20_000);
            assertThat(entriesPerPartition(keys)).isEqualTo(acked);
            Set<Integer> serving = new HashSet<>(cluster.get().partitionMasters(keys, P).values());
            assertThat(serving).hasSize(3);
            for (RedisServer master : cluster.get().masters()) {
                if (serving.contains(master.port())) {
                    assertThat(producerConnection(master)).as("master %d", master.port()).contains("cmd=evalsha");
                }
            }
        }
    }

    @Test
    void slotMigratedWhileSendingLosesNothingAndWritesNothingTwice() throws Exception {
        TallyConfig config = cluster.get().config(P).build();
        Keys keys = TestRedis.keys(config);
        int slot = HashSlot.ofKey(keys.ops(0));
        RedisServer from = cluster.get().masterOf(slot);
        RedisServer to = cluster.get().masters().stream().filter(m -> m != from).findFirst().orElseThrow();
        List<CompletableFuture<SendResult>> sends = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            Thread sender = new Thread(() -> {
                for (int i = 0; !stop.get(); i++) {
                    String counter = "c" + (i % 97);
                    CompletableFuture<SendResult> send = producer.send(i % 3 == 0
                            ? CounterOp.incr(counter, 1).withId("id" + i) : CounterOp.incr(counter, 1));
                    synchronized (sends) {
                        sends.add(send);
                    }
                    if (i % 100 == 99) {
                        pause(3); // about 30,000 sends a second: well within the producer buffer while a slot moves
                    }
                }
            });
            sender.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.admin().getStream(keys.ops(0)).size() > 500);
            long beforeMove = cluster.admin().getStream(keys.ops(0)).size();
            cluster.get().migrateSlot(slot, to);
            long atMove = sizeOn(to, keys.ops(0));
            pause(1500);
            stop.set(true);
            sender.join();
            producer.flush();
            Map<Integer, Long> acked;
            synchronized (sends) {
                acked = ackedPerPartition(sends);
            }
            assertThat(entriesPerPartition(keys)).isEqualTo(acked);
            assertThat(cluster.get().masterOf(slot).port()).isEqualTo(to.port());
            assertThat(sizeOn(to, keys.ops(0))).as("partition 0's entries, all on the new master")
                    .isEqualTo(acked.get(0)).isGreaterThan(atMove).isGreaterThan(beforeMove);
            assertThat(producerConnection(to)).contains("cmd=evalsha");
        }
    }

    /** Joins every send (each must be acknowledged) and counts them per partition. */
    private static Map<Integer, Long> ackedPerPartition(List<CompletableFuture<SendResult>> sends) {
        Map<Integer, Long> acked = new TreeMap<>();
        Set<String> ids = new HashSet<>();
        for (CompletableFuture<SendResult> send : sends) {
            SendResult result = send.join();
            assertThat(ids.add(result.partition() + "/" + result.entryId())).as("entry %s acknowledged twice", result)
                    .isTrue();
            acked.merge(result.partition(), 1L, Long::sum);
        }
        return acked;
    }

    private static Map<Integer, Long> entriesPerPartition(Keys keys) {
        Map<Integer, Long> entries = new TreeMap<>();
        for (int p = 0; p < P; p++) {
            long n = cluster.admin().getStream(keys.ops(p)).size();
            if (n > 0) {
                entries.put(p, n);
            }
        }
        return entries;
    }

    private static long sizeOn(RedisServer master, String stream) {
        return Long.parseLong(master.cli("XLEN", stream).trim());
    }

    /** The CLIENT LIST line of the producer's append connection on a master, or "" if there is none. */
    private static String producerConnection(RedisServer master) {
        return master.cli("CLIENT", "LIST").lines().filter(line -> line.contains(" name=tally-producer "))
                .findFirst().orElse("");
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
