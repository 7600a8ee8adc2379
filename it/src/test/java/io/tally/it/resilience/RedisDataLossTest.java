package io.tally.it.resilience;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.PartitionTags;
import io.tally.common.internal.keys.Partitioner;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.app.cli.TallyMain;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Redis losing its data, or its eviction policy, under a running processor: the processor restores
 * the namespace with its own P and the consumer groups (so nothing written afterwards is stranded on
 * a partition it does not read), and pauses while Redis may evict keys.
 */
class RedisDataLossTest {
    private RedisServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void flushAllUnderARunningProcessor_metaAndGroupsAreRestoredWithItsP_andLaterWritesAreApplied() throws Exception {
        server = RedisServer.start();
        TallyConfig config = config(1);
        // With P = 16, "c" would go to partition 15: a CLI that fixed P again would strand it there.
        assertThat(new Partitioner(16).partitionOf("c")).isEqualTo(15);
        StateMetrics metrics = new StateMetrics();
        try (Processor processor = Processor.start(config, metrics);
             TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            Keys keys = TestRedis.keys(config); // the processor created the namespace
            await().atMost(Duration.ofSeconds(10)).until(() -> processor.ready() && processor.ownedPartitions().size() == 1);
            producer.incr("before", 1).get(5, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> "1".equals(hget(keys.counters(0), "before")));

            server.cli("FLUSHALL");
            long flushedAt = System.nanoTime();
            Run incr = tally(config, "incr", "c", "7"); // no --partitions: the stored P decides
            assertThat(incr.code).as(incr.err).isZero();
            await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20)).until(() ->
                    "1".equals(hget(keys.meta(), "partitions")) && groups(keys.ops(0)).contains("tally")
                            && groups(keys.events(0)).contains("tally"));
            System.out.printf("meta and groups back %d ms after FLUSHALL%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - flushedAt));

            server.cli("XADD", keys.ops(0), "*", "op", "incr", "counter", "raw", "by", "5");
            producer.incr("lib", 3).get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(hget(keys.counters(0), "c")).isEqualTo("7");
                assertThat(hget(keys.counters(0), "raw")).isEqualTo("5");
                assertThat(hget(keys.counters(0), "lib")).isEqualTo("3");
            });
            assertThat(hget(keys.counters(0), "before")).as("lost with the flush").isNull();
            assertThat(server.cli("EXISTS", new Keys(config.namespace(), PartitionTags.spread(16)).ops(15)).strip())
                    .isEqualTo("0");
            assertThat(hget(keys.meta(), "partitions")).isEqualTo("1");
            assertThat(hget(keys.meta(), "partition-tags")).as("restored with the keys it runs on").isEqualTo("spread-v1");
            assertThat(hget(keys.meta(), "dedupe")).as("restored with the dedupe layout its producers use").isEqualTo("buckets-v1");
            assertThat(metrics.stateLost.get("meta").get()).isGreaterThanOrEqualTo(1);
            assertThat(processor.ready()).isTrue();
        }
    }

    @Test
    void groupDeletedUnderARunningProcessor_isRecreatedAtZero_andEntriesAfterItAreApplied() throws Exception {
        server = RedisServer.start();
        TallyConfig config = config(1);
        StateMetrics metrics = new StateMetrics();
        try (Processor processor = Processor.start(config, metrics)) {
            Keys keys = TestRedis.keys(config); // the processor created the namespace
            await().atMost(Duration.ofSeconds(10)).until(() -> processor.ready() && processor.ownedPartitions().size() == 1);
            server.cli("DEL", keys.ops(0)); // the stream and its group, as a partial loss would
            server.cli("XADD", keys.ops(0), "*", "op", "incr", "counter", "g", "by", "2");
            server.cli("XADD", keys.ops(0), "*", "op", "incr", "counter", "g", "by", "3");
            await().atMost(Duration.ofSeconds(5)).until(() -> "5".equals(hget(keys.counters(0), "g")));
            assertThat(metrics.stateLost.get("group").get()).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void evictingPolicySetAtRuntime_pausesApplying_andNoevictionResumesItExactly() throws Exception {
        server = RedisServer.start();
        TallyConfig config = config(1);
        StateMetrics metrics = new StateMetrics();
        try (Processor processor = Processor.start(config, metrics);
             TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            Keys keys = TestRedis.keys(config); // the processor created the namespace
            await().atMost(Duration.ofSeconds(10)).until(() -> processor.ready() && processor.ownedPartitions().size() == 1);
            producer.incr("e", 1).get(5, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> "1".equals(hget(keys.counters(0), "e")));

            server.cli("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
            await().atMost(Duration.ofSeconds(3)).until(() -> !processor.ready());
            assertThat(processor.pausedFor()).contains("allkeys-lru");
            assertThat(metrics.paused.get("eviction_policy").get()).isEqualTo(1);
            for (int i = 0; i < 10; i++) {
                producer.incr("e", 1).get(5, TimeUnit.SECONDS);
            }
            Thread.sleep(1500);
            assertThat(hget(keys.counters(0), "e")).as("nothing applied while paused").isEqualTo("1");

            server.cli("CONFIG", "SET", "maxmemory-policy", "noeviction");
            await().atMost(Duration.ofSeconds(5)).until(processor::ready);
            await().atMost(Duration.ofSeconds(5)).until(() -> "11".equals(hget(keys.counters(0), "e")));
            assertThat(processor.pausedFor()).isNull();
            assertThat(metrics.paused.get("eviction_policy").get()).isZero();
            Thread.sleep(500);
            assertThat(hget(keys.counters(0), "e")).isEqualTo("11");
        }
    }

    private TallyConfig config(int partitions) {
        return TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                .set(TallyConfig.NAMESPACE, TestRedis.uniqueNamespace()).set(TallyConfig.PARTITIONS, partitions)
                .set(TallyConfig.SEND_TIMEOUT_MS, 5000L).build();
    }

    private String hget(String key, String field) {
        String v = server.cli("HGET", key, field).strip();
        return v.isEmpty() ? null : v;
    }

    private String groups(String stream) {
        return server.cli("XINFO", "GROUPS", stream);
    }

    private Run tally(TallyConfig config, String... args) {
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--redis-url";
        all[args.length + 1] = server.url();
        all[args.length + 2] = "--namespace";
        all[args.length + 3] = config.namespace();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TallyMain.run(all, Map.of(), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    private record Run(int code, String out, String err) {
    }

    /** Records the state-lost counts and the paused flags. */
    private static final class StateMetrics implements ProcessorListener {
        final Map<String, AtomicInteger> stateLost = new ConcurrentHashMap<>(Map.of(
                "meta", new AtomicInteger(), "group", new AtomicInteger()));
        final Map<String, AtomicInteger> paused = new ConcurrentHashMap<>(Map.of("eviction_policy", new AtomicInteger()));

        @Override
        public void redisStateLost(String what) {
            stateLost.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
        }

        @Override
        public void paused(String reason, boolean on) {
            paused.computeIfAbsent(reason, k -> new AtomicInteger()).set(on ? 1 : 0);
        }
    }
}
