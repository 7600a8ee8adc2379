package io.tally.it.resilience;

import io.tally.common.config.Acks;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.internal.redis.Namespace;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.RedisCluster;
import io.tally.testkit.TestRedis;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * With acks=replicas on Redis Cluster a send is acknowledged only when a replica of its own master has
 * it, though one pipeline reaches several masters and Redisson adds up their WAIT replies: one
 * master's replica is frozen, and exactly the sends to that master's partitions end outcome-unknown.
 */
@Tag("slow")
class ClusterAcksReplicasTest {
    private static final int P = 12;

    @Test
    void onlyTheSendsWhoseOwnMastersReplicaIsFrozen_areNotAcknowledged() {
        RedisServer.requireAvailable();
        try (RedisCluster cluster = RedisCluster.start()) {
            TallyConfig config = cluster.config(P).set(TallyConfig.ACKS, Acks.REPLICAS)
                    .set(TallyConfig.SEND_TIMEOUT_MS, 1500L).set(TallyConfig.DEDUPE_WINDOW_MS, 3000L).build();
            RedissonClient admin = cluster.client();
            try {
                Namespace.create(admin, config);
            } finally {
                admin.shutdown();
            }
            Map<Integer, Integer> masters = cluster.partitionMasters(TestRedis.keys(config), P);
            int frozenMaster = masters.get(0);
            assertThat(masters.values()).as("partitions on other masters too").anyMatch(port -> port != frozenMaster);
            RedisServer replica = replicaOf(cluster, frozenMaster);
            Partitioner partitioner = new Partitioner(P);
            try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
                producer.incr(counterOn(partitioner, 0), 1).join(); // warm: every master reached once
                replica.pause();
                List<CompletableFuture<SendResult>> sends = new ArrayList<>();
                for (int p = 0; p < P; p++) {
                    sends.add(producer.incr(counterOn(partitioner, p), 1));
                }
                for (int p = 0; p < P; p++) {
                    Throwable failure = catchThrowable(sends.get(p)::join);
                    if (masters.get(p) == frozenMaster) {
                        assertThat(failure).as("partition %d, on the master whose replica is frozen", p)
                                .isInstanceOf(CompletionException.class)
                                .hasCauseInstanceOf(OutcomeUnknownException.class);
                    } else {
                        assertThat(failure).as("partition %d, on a master with a live replica", p).isNull();
                    }
                }
            } finally {
                replica.resume();
            }
        }
    }

    private static String counterOn(Partitioner partitioner, int partition) {
        for (int i = 0; ; i++) {
            if (partitioner.partitionOf("c" + i) == partition) {
                return "c" + i;
            }
        }
    }

    private static RedisServer replicaOf(RedisCluster cluster, int masterPort) {
        for (RedisServer node : cluster.nodes()) {
            String info = node.cli("INFO", "replication");
            if (info.contains("role:slave") && info.contains("master_port:" + masterPort)) {
                return node;
            }
        }
        throw new IllegalStateException("no replica of master " + masterPort);
    }
}
