package io.tally.producer.internal.admin;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tally.app.metrics.PartitionLagCollector;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.producer.status.HaltStatus;
import io.tally.producer.status.PartitionStatus;
import io.tally.producer.status.TopicStatus;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RStream;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.api.stream.StreamReadGroupArgs;
import org.redisson.client.codec.StringCodec;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.Map;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(RealRedisExtension.class)
class PartitionStatusReaderTest {
    private RedissonClient redis;
    private Keys keys;
    private PartitionStatusReader reader;

    @BeforeEach
    void openNamespace(TestRedis testRedis) {
        redis = testRedis.client();
        TallyConfig config = testRedis.config(4).build();
        keys = Namespace.create(redis, config).keys();
        reader = new PartitionStatusReader(redis, keys, 4);
    }

    @AfterEach
    void close() {
        redis.shutdown();
    }

    @Test
    void unownedPartition_reportsLagFromRedisAndNoOwner() {
        add(keys.ops(1), 3);

        PartitionStatus p1 = reader.read().partitions().get(1);

        assertThat(p1.owned()).isFalse();
        assertThat(p1.owner()).isEmpty();
        TopicStatus ops = p1.ops();
        assertThat(ops.length()).isEqualTo(3);
        assertThat(ops.lag()).isEqualTo(3);
        assertThat(ops.pending()).isZero();
        assertThat(ops.oldestPendingAgeMs()).isEqualTo(-1);
        assertThat(ops.lastApplied()).isEqualTo("-");
        assertThat(p1.events().length()).isZero();
    }

    @Test
    void deliveredEntries_countAsPendingWithTheOldestIdTime() {
        List<StreamMessageId> ids = add(keys.ops(2), 3);
        stream(keys.ops(2)).readGroup(Keys.GROUP, "someone", StreamReadGroupArgs.neverDelivered().count(2));
        redis.getBucket(keys.lease(2), StringCodec.INSTANCE).set("proc-a:token", Duration.ofSeconds(10));
        redis.getStream(keys.dlq(2), StringCodec.INSTANCE).add(StreamAddArgs.entries(Map.of("reason", "bad_number")));
        redis.<String, String>getMap(keys.checkpoint(2), StringCodec.INSTANCE).put("ops", ids.get(0).toString());

        PartitionStatusReader.Snapshot snapshot = reader.read();
        PartitionStatus p2 = snapshot.partitions().get(2);

        TopicStatus ops = p2.ops();
        assertThat(ops.lag()).isEqualTo(1);
        assertThat(ops.pending()).isEqualTo(2);
        assertThat(ops.backlog()).isEqualTo(3);
        assertThat(ops.oldestPendingAgeMs()).isEqualTo(snapshot.redisTimeMs() - ids.get(0).getId0())
                .isBetween(0L, 60_000L);
        assertThat(ops.lastApplied()).isEqualTo(ids.get(0).toString());
        assertThat(p2.owner()).isEqualTo("proc-a:token");
        assertThat(p2.deadLetters()).isEqualTo(1);
    }

    @Test
    void pendingAges_areMeasuredAtTheSnapshotsTime_notAtThePartitionsOwnRead() {
        // a partition read a few ms before the snapshot's latest read: its age counts from the snapshot's time
        List<Object> reply = List.of("", "0", "1000",
                "3", "1", "1", "2", "900", "0-0", "", // ops: oldest pending at 900
                "0", "0", "1", "1", "400", "0-0", "", // events: oldest pending at 400
                "", "", "", "");

        PartitionStatus status = PartitionStatusReader.parse(0, reply, 1005);

        assertThat(status.ops().oldestPendingAgeMs()).isEqualTo(105);
        assertThat(status.events().oldestPendingAgeMs()).isEqualTo(605);
    }

    @Test
    void haltHash_isReadAsTheHalt_andAPartitionWithoutOneHasNone() {
        redis.<String, String>getMap(keys.halt(3), StringCodec.INSTANCE).putAll(Map.of("reason", "stream_id_exhausted",
                "since", "1700000000000", "detail", "ops last id 18446744073709551615-18446744073709551615", "processor", "p:1"));
        redis.<String, String>getMap(keys.halt(2), StringCodec.INSTANCE).putAll(Map.of("reason", "redis_refused",
                "since", "not a number"));

        List<PartitionStatus> all = reader.read().partitions();

        assertThat(all.get(3).halt()).contains(new HaltStatus("stream_id_exhausted", 1700000000000L,
                "ops last id 18446744073709551615-18446744073709551615", "p:1"));
        assertThat(all.get(2).halt()).contains(new HaltStatus("redis_refused", -1, "", ""));
        assertThat(all.get(0).halt()).isEmpty();
    }

    @Test
    void collector_exportsOnlyThePartitionsItsProcessorHolds_labelledByProcessorId_andRemovesGaugesOnClose() {
        add(keys.ops(0), 5);
        add(keys.ops(3), 2);
        lease(0, "proc-a:run2");
        lease(3, "proc-b:run1");
        lease(2, "proc-a:run1"); // left by proc-a's previous run: not this run's
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PartitionLagCollector collector = new PartitionLagCollector(reader, registry, keys.namespace(),
                new PartitionLagCollector.Owner("proc-a", "proc-a:run2"));

        collector.sample();

        assertThat(registry.get("tally.partition.lag").tags("partition", "0", "topic", "ops", "processor", "proc-a")
                .gauge().value()).isEqualTo(5);
        assertThat(registry.get("tally.partition.lag").gauges()).hasSize(2); // partition 0: ops and events
        assertThat(registry.get("tally.partition.length").tags("partition", "0", "topic", "ops").gauge().value())
                .isEqualTo(5);
        assertThat(registry.get("tally.partition.owned").gauges()).singleElement()
                .satisfies(g -> assertThat(g.getId().getTag("partition")).isEqualTo("0"))
                .satisfies(g -> assertThat(g.getId().getTag("processor")).isEqualTo("proc-a"));
        assertThat(registry.get("tally.dlq.entries").gauges()).hasSize(1);
        assertThat(registry.get("tally.partitions.unowned").gauge().value()).isEqualTo(1); // partition 1
        assertThat(registry.getMeters()).allSatisfy(m -> assertThat(m.getId().getTags())
                .noneSatisfy(t -> assertThat(t.getValue()).contains(":")));

        redis.getBucket(keys.lease(0)).delete();
        lease(3, "proc-a:run2");
        collector.sample();
        assertThat(registry.get("tally.partition.owned").gauges()).singleElement()
                .satisfies(g -> assertThat(g.getId().getTag("partition")).isEqualTo("3"));
        assertThat(registry.get("tally.partition.lag").tags("partition", "3", "topic", "ops").gauge().value())
                .isEqualTo(2);
        assertThat(registry.find("tally.partition.lag").tags("partition", "0").gauges()).isEmpty();
        assertThat(registry.get("tally.partitions.unowned").gauge().value()).isEqualTo(2); // partitions 0 and 1

        collector.close();
        assertThat(registry.find("tally.partition.lag").gauges()).isEmpty();
        assertThat(registry.getMeters()).isEmpty();
    }

    @Test
    void scrapesWhileTheCollectorSamples_seeEachSeriesOnce_withTheValuesOfOneSample() throws Exception {
        add(keys.ops(0), 3);
        lease(0, "proc-a:run1");
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        PartitionLagCollector collector = new PartitionLagCollector(reader, registry, keys.namespace(),
                new PartitionLagCollector.Owner("proc-a", "proc-a:run1"));
        collector.sample();
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            for (int i = 0; i < 300; i++) {
                // partition 1 comes and goes, so rows are added and removed as well as updated
                if (i % 2 == 0) {
                    lease(1, "proc-a:run1");
                } else {
                    redis.getBucket(keys.lease(1)).delete();
                }
                collector.sample();
            }
            sampling.set(false);
        });
        sampler.start();
        int scrapes = 0;
        try {
            while (sampling.get()) {
                String text = registry.scrape();
                scrapes++;
                List<String> unowned = text.lines().filter(l -> l.startsWith("tally_partitions_unowned{")).toList();
                assertThat(unowned).as("scrape %d", scrapes).hasSize(1);
                assertThat(text.lines().filter(l -> l.startsWith("tally_partition_length{")
                        && l.contains("partition=\"0\"") && l.contains("topic=\"ops\"")))
                        .as("scrape %d", scrapes).singleElement().satisfies(l -> assertThat(l).endsWith(" 3.0"));
            }
        } finally {
            sampler.join();
        }
        assertThat(scrapes).isGreaterThan(10);
        collector.close();
        assertThat(registry.scrape()).doesNotContain("tally_partition_length{");
    }

    @Test
    void keysOfAnotherType_makeOnlyTheirPartitionUnreadable_namingEachKey_andTheOthersAreRead() {
        add(keys.ops(1), 2);
        redis.getKeys().delete(keys.events(0));
        redis.getBucket(keys.events(0), StringCodec.INSTANCE).set("junk"); // another program's
        redis.getList(keys.lease(1), StringCodec.INSTANCE).add("x");      // read as owned by "(list)", as lease.lua
        redis.getBucket(keys.checkpoint(2), StringCodec.INSTANCE).set("junk");
        redis.getBucket(keys.halt(2), StringCodec.INSTANCE).set("junk");

        List<PartitionStatus> all = reader.read().partitions();

        assertThat(all.get(0).readable()).isFalse();
        assertThat(all.get(0).unreadable()).contains(keys.events(0) + " holds a string, not a stream");
        assertThat(all.get(0).ops()).isEqualTo(TopicStatus.UNKNOWN);
        assertThat(all.get(0).deadLetters()).isEqualTo(-1);
        assertThat(all.get(1).readable()).isTrue();
        assertThat(all.get(1).owner()).isEqualTo("(list)");
        assertThat(all.get(1).ops().length()).isEqualTo(2);
        assertThat(all.get(2).unreadable()).contains(keys.checkpoint(2) + " holds a string, not a hash; "
                + keys.halt(2) + " holds a string, not a hash");
        assertThat(all.get(3).readable()).isTrue();
    }

    @Test
    void collector_updatesTheReadablePartitions_dropsTheUnreadablesRows_andCountsAndWarnsOnce() {
        add(keys.ops(0), 5);
        add(keys.ops(1), 7);
        lease(0, "proc-a:run1");
        lease(1, "proc-a:run1");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PartitionLagCollector collector = new PartitionLagCollector(reader, registry, keys.namespace(),
                new PartitionLagCollector.Owner("proc-a", "proc-a:run1"));
        collector.sample();
        assertThat(registry.get("tally.partition.length").tags("partition", "1", "topic", "ops").gauge().value())
                .isEqualTo(7);

        redis.getKeys().delete(keys.events(1));
        redis.getBucket(keys.events(1), StringCodec.INSTANCE).set("junk");
        add(keys.ops(0), 4);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger log = (Logger) LoggerFactory.getLogger(PartitionLagCollector.class);
        log.addAppender(logs);
        try {
            collector.sample();
            collector.sample();
        } finally {
            log.detachAppender(logs);
        }

        assertThat(registry.get("tally.partition.length").tags("partition", "0", "topic", "ops").gauge().value())
                .isEqualTo(9);
        assertThat(registry.find("tally.partition.length").tags("partition", "1").gauges())
                .as("no stale row for the unreadable partition").isEmpty();
        assertThat(registry.find("tally.dlq.entries").tags("partition", "1").gauges()).isEmpty();
        assertThat(registry.get("tally.partition.owned").gauges()).hasSize(2);
        assertThat(registry.get("tally.partition.status.errors").counter().count()).isEqualTo(2);
        assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage).singleElement().asString()
                .contains("partition 1").contains(keys.events(1) + " holds a string, not a stream");
        collector.close();
    }

    private void lease(int partition, String value) {
        redis.getBucket(keys.lease(partition), StringCodec.INSTANCE).set(value, Duration.ofSeconds(10));
    }

    private List<StreamMessageId> add(String key, int n) {
        RStream<String, String> stream = stream(key);
        return java.util.stream.IntStream.range(0, n)
                .mapToObj(i -> stream.add(StreamAddArgs.entries(Map.of("op", "incr", "counter", "c" + i))))
                .toList();
    }

    private RStream<String, String> stream(String key) {
        return redis.getStream(key, StringCodec.INSTANCE);
    }
}
