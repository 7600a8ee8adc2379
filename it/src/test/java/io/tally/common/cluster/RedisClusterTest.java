package io.tally.common.cluster;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisVersion;
import io.tally.testkit.RedisCluster;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The cluster test support itself: three shards, partitions spread over them, keys of a partition on one slot. Slow: six redis-server processes. */
@org.junit.jupiter.api.Tag("slow")
class RedisClusterTest {
    private static RedisCluster cluster;

    @BeforeAll
    static void startCluster() {
        RedisServer.requireAvailable();
        cluster = RedisCluster.start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void clusterHasThreeMastersEachWithAReplica() {
        assertThat(cluster.masters()).hasSize(3);
        for (RedisServer master : cluster.masters()) {
            assertThat(master.cli("INFO", "replication")).contains("connected_slaves:1");
        }
    }

    @Test
    void partitionsSpreadOverTheThreeShards() {
        int partitions = 24; // P >= 8 x masters, as docs/operations.md asks
        Map<Integer, Integer> masters = cluster.partitionMasters(partitions);
        Map<Integer, Long> perShard = new TreeMap<>(masters.values().stream()
                .collect(Collectors.groupingBy(port -> port, Collectors.counting())));
        System.out.println("partitions per master port (P=" + partitions + "): " + perShard);
        assertThat(perShard).hasSize(3);
        assertThat(perShard.values()).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(4));
    }

    @Test
    void everyKeyOfAPartitionHashesToThePartitionsSlot() {
        Keys keys = new Keys("tally");
        for (int p = 0; p < 24; p++) {
            int slot = cluster.keySlot("{p" + p + "}");
            for (String key : new String[] {keys.ops(p), keys.events(p), keys.counters(p), keys.checkpoint(p),
                    keys.lease(p), keys.triggers(p), keys.firings(p), keys.schedule(p), keys.dlq(p),
                    keys.dedupe(p, "ops", "c{y}", "op-{x}:*")}) {
                assertThat(cluster.keySlot(key)).as(key).isEqualTo(slot);
            }
        }
    }

    @Test
    void namespaceOpensOnTheClusterAndRequiresNoEvictionAndASupportedVersion() {
        TallyConfig config = cluster.config(24).build();
        RedissonClient redis = cluster.client();
        try {
            Namespace.requireNoEviction(redis, config.get(TallyConfig.REDIS_MODE));
            RedisVersion.requireSupported(redis, config); // INFO server of each of the three masters
            Namespace ns = Namespace.create(redis, config);
            RedisVersion.requireSupported(redis, ns, config); // the script, on each partition's master
            assertThat(ns.partitions()).isEqualTo(24);
            for (int p = 0; p < 24; p++) {
                assertThat(redis.getStream(ns.keys().ops(p)).listGroups()).extracting(g -> g.getName())
                        .containsExactly(Keys.GROUP);
            }
        } finally {
            redis.shutdown();
        }
    }
}
