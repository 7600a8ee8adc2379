package io.tally.it.resilience;

import io.tally.common.config.Acks;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.model.CounterOp;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.Pause;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RedisCluster;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * In Redis Cluster one pipeline of the producer reaches several masters, and when one master answers a
 * call with an error, the client fails every call still waiting on the other masters with that same
 * error. That error is not theirs: their scripts may run (and write) after it. A producer that took it
 * for their own refusal freed their sequence numbers; its next sends reused them and the append script
 * answered them as repeats of the entries written under those numbers, so they were acknowledged
 * without ever being written. (After a failover the promoted master's NOSCRIPT did this.)
 *
 * <p>Here master A is paused for writes, so the call to A's partition waits, while the call to B's
 * partition is refused by B at once (its producer sessions key holds a string).
 */
@Tag("slow")
class ClusterForeignErrorTest {
    private static final int P = 12;

    @Test
    void anotherMastersErrorNeitherFailsNorRenumbersTheCallsItCutShort() throws Exception {
        RedisServer.requireAvailable();
        try (RedisCluster cluster = RedisCluster.start()) {
            // one lane, and a linger long enough for a1 and b1 to leave in one pipeline
            TallyConfig config = cluster.config(P).set(TallyConfig.ACKS, Acks.REPLICAS)
                    .set(TallyConfig.SEND_TIMEOUT_MS, 20_000L).set(TallyConfig.PRODUCER_MAX_IN_FLIGHT, 1)
                    .set(TallyConfig.PRODUCER_LINGER_MS, 50).build();
            RedissonClient admin = cluster.client();
            Keys keys;
            try {
                Namespace.create(admin, config);
                keys = Namespace.keys(admin, config.namespace());
            } finally {
                admin.shutdown();
            }
            Map<Integer, Integer> masters = cluster.partitionMasters(keys, P);
            int pa = 0;
            int pb = masters.entrySet().stream().filter(e -> !e.getValue().equals(masters.get(pa)))
                    .findFirst().orElseThrow().getKey();
            RedisServer a = cluster.masterOf(cluster.keySlot(keys.ops(pa)));
            RedisServer b = cluster.masterOf(cluster.keySlot(keys.ops(pb)));
            Partitioner partitioner = new Partitioner(P);
            String counterA = counterOn(partitioner, pa);
            String counterB = counterOn(partitioner, pb);
            try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
                producer.send(CounterOp.incr(counterA, 1).withId("warm-a")).get(20, TimeUnit.SECONDS);
                producer.send(CounterOp.incr(counterB, 1).withId("warm-b")).get(20, TimeUnit.SECONDS);
                b.cli("SET", keys.producers(pb, "ops"), "not-a-hash");
                CompletableFuture<SendResult> a1;
                CompletableFuture<SendResult> b1;
                CompletableFuture<SendResult> a2;
                a.cli("CLIENT", "PAUSE", "30000", "WRITE");
                try {
                    a1 = producer.send(CounterOp.incr(counterA, 1).withId("a1"));
                    b1 = producer.send(CounterOp.incr(counterB, 1).withId("b1"));
                    Pause.ms(1000); // B's error is in; a1's call still waits on A
                    a2 = producer.send(CounterOp.incr(counterA, 1).withId("a2"));
                    Pause.ms(1000); // a2 has left, or waits for a1's pipeline
                } finally {
                    a.cli("CLIENT", "UNPAUSE");
                }
                SendResult second = a2.get(30, TimeUnit.SECONDS);
                assertThat(entriesByOpId(a, keys.ops(pa)).get("a2"))
                        .as("entries holding a2, acknowledged as %s", second.entryId()).containsExactly(second.entryId());
                // a1 was written by its call: it must not fail as if B's error were its own
                SendResult first = a1.get(30, TimeUnit.SECONDS);
                assertThat(entriesByOpId(a, keys.ops(pa)).get("a1"))
                        .as("entries holding a1, acknowledged as %s", first.entryId()).containsExactly(first.entryId());
                assertThat(b1).as("b1: refused by B itself").failsWithin(30, TimeUnit.SECONDS);
            }
        }
    }

    private static Map<String, List<String>> entriesByOpId(RedisServer master, String stream) {
        Map<String, List<String>> out = new java.util.TreeMap<>();
        try (RawRedis redis = new RawRedis(master.url())) {
            for (Object item : (List<?>) redis.call("XRANGE", stream, "-", "+")) {
                List<?> entry = (List<?>) item;
                String opId = null;
                for (String[] field : RawRedis.pairs(entry.get(1))) {
                    if (field[0].equals("id")) {
                        opId = field[1];
                    }
                }
                out.computeIfAbsent(String.valueOf(opId), k -> new ArrayList<>()).add(RawRedis.text(entry.get(0)));
            }
        }
        return out;
    }

    private static String counterOn(Partitioner partitioner, int partition) {
        for (int i = 0; ; i++) {
            if (partitioner.partitionOf("c" + i) == partition) {
                return "c" + i;
            }
        }
    }
}
