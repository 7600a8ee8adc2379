package io.tally.common.cluster;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.HashSlot;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.PartitionTags;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisVersion;
import io.tally.testkit.EqualSlotRanges;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RealClusterExtension;
import io.tally.testkit.RedisCluster;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The cluster test support itself: three shards, partitions spread over them, keys of a partition on one slot. Slow: six redis-server processes. */
@org.junit.jupiter.api.Tag("slow")
@ExtendWith(RealClusterExtension.class)
class RedisClusterTest {
    private static RedisCluster cluster;

    @BeforeAll
    static void cluster(RedisCluster started) {
        cluster = started;
    }

    @Test
    void clusterHasThreeMastersEachWithAReplica() {
        assertThat(cluster.masters()).hasSize(3);
        for (RedisServer master : cluster.masters()) {
            assertThat(master.cli("INFO", "replication")).contains("connected_slaves:1");
        }
    }

    @Test
    void partitionsOfANewNamespaceSpreadEvenlyOverTheThreeShards() {
        int partitions = 24;
        Keys keys = TestRedis.keys(cluster.config(partitions).build());
        assertThat(keys.tags().rule()).isEqualTo(PartitionTags.SPREAD_V1);
        Map<Integer, Long> perShard = perShard(cluster.partitionMasters(keys, partitions));
        Map<Integer, Long> legacy = perShard(cluster.partitionMasters(new Keys("tally", PartitionTags.legacy()), partitions));
        System.out.println("partitions per master port (P=" + partitions + "): spread-v1 " + perShard + ", {p<i>} "
                + legacy);
        assertThat(perShard).hasSize(3);
        assertThat(perShard.values()).containsOnly(8L);
    }

    @Test
    void mastersHoldTheSlotRangesRedisCliGivesThree() {
        List<int[]> expected = EqualSlotRanges.of(3);
        List<List<int[]>> actual = new ArrayList<>(cluster.masterSlotRanges().values());
        assertThat(actual).hasSize(3);
        actual.sort(Comparator.comparingInt(r -> r.get(0)[0]));
        for (int m = 0; m < 3; m++) {
            assertThat(actual.get(m)).hasSize(1);
            assertThat(actual.get(m).get(0)).as("master %d", m).containsExactly(expected.get(m));
        }
    }

    @Test
    void everyKeyOfAPartitionHashesToThePartitionsSlot() {
        for (PartitionTags tags : List.of(PartitionTags.legacy(), PartitionTags.spread(24))) {
            Keys keys = new Keys("tally", tags);
            for (int p = 0; p < 24; p++) {
                int slot = cluster.keySlot("{" + tags.tag(p) + "}");
                assertThat(slot).isEqualTo(HashSlot.ofTag(tags.tag(p)));
                for (String key : new String[] {keys.ops(p), keys.events(p), keys.counters(p), keys.checkpoint(p),
                        keys.lease(p), keys.triggers(p), keys.firings(p), keys.schedule(p), keys.dlq(p),
                        keys.producers(p, "ops"), keys.firingsDlq(p), keys.firingsErrors(p), keys.halt(p),
                        keys.seriesBucket(p, "1m", 60_000), keys.seriesIndex(p), keys.hll(p, "c{x}"),
                        keys.hllBucket(p, "c}", "1m", 60_000),
                        keys.dedupe(p, "ops", "c{y}", "op-{x}:*"), keys.dedupeBucketPrefix(p, "events", 600_000) + "2994302",
                        keys.dedupeBucketPrefix(p, "events", 600_000) + "2994303"}) {
                    assertThat(cluster.keySlot(key)).as(key).isEqualTo(slot);
                }
            }
        }
    }

    /**
     * The Java CRC16 behind the spread tags against the cluster's own (CLUSTER KEYSLOT): every tag of every
     * P up to 256, and every candidate {@code p<i>-<k>} for i < 256, k < 64.
     */
    @Test
    void javaHashSlotIsTheClustersForEveryTagOfEveryPUpTo256() {
        List<String> tags = new ArrayList<>();
        for (int partitions = 1; partitions <= 256; partitions++) {
            PartitionTags spread = PartitionTags.spread(partitions);
            for (int p = 0; p < partitions; p++) {
                tags.add(spread.tag(p));
            }
        }
        for (int i = 0; i < 256; i++) {
            for (int k = 0; k < 64; k++) {
                tags.add("p" + i + "-" + k);
            }
        }
        RedisServer node = cluster.masters().get(0);
        try (RawRedis raw = new RawRedis(node.url())) {
            for (int from = 0; from < tags.size(); from += 5000) {
                List<String> chunk = tags.subList(from, Math.min(tags.size(), from + 5000));
                List<Object> slots = raw.pipeline(chunk.stream().map(t -> List.of("CLUSTER", "KEYSLOT", "{" + t + "}"))
                        .toList());
                for (int i = 0; i < chunk.size(); i++) {
                    assertThat(slots.get(i)).as(chunk.get(i)).isEqualTo((long) HashSlot.ofTag(chunk.get(i)));
                }
            }
        }
        System.out.println(tags.size() + " tags: Java CRC16 = CLUSTER KEYSLOT");
    }

    private static Map<Integer, Long> perShard(Map<Integer, Integer> masters) {
        return new TreeMap<>(masters.values().stream().collect(Collectors.groupingBy(port -> port, Collectors.counting())));
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
