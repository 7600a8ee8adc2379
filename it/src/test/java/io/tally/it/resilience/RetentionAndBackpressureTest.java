package io.tally.it.resilience;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.housekeeping.Housekeeping;
import io.tally.processor.internal.housekeeping.Retention;
import io.tally.producer.BackpressureException;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redisson.api.RStream;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamCreateGroupArgs;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamReadGroupArgs;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Retention never trims what a second, slow consumer group has not acknowledged; backpressure stops
 * producers at the configured backlog long before {@code maxmemory}, and nothing accepted is lost.
 */
class RetentionAndBackpressureTest {
    private static final long MAXMEMORY = 256L * 1024 * 1024;
    private static RedisServer server;
    private static RedissonClient admin;

    @BeforeAll
    static void start() {
        RedisServer.requireAvailable();
        server = RedisServer.start("--maxmemory", Long.toString(MAXMEMORY));
        admin = new RedisRestartTest.AdminClient(server).redis;
    }

    @AfterAll
    static void stop() {
        if (admin != null) {
            admin.shutdown();
        }
        if (server != null) {
            server.close();
        }
    }

    /** A fresh namespace, created as {@code tally init} would: producers only open an existing one. */
    private static TallyConfig.Builder config(int partitions) {
        TallyConfig.Builder builder = TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                .set(TallyConfig.NAMESPACE, TestRedis.uniqueNamespace()).set(TallyConfig.PARTITIONS, partitions);
        Namespace.create(admin, builder.build());
        return builder;
    }

    @Test
    void trimmingNeverRemovesWhatASlowGroupHasNotAcknowledged() {
        TallyConfig config = config(1).build();
        Keys keys = TestRedis.keys(config);
        RStream<String, String> ops = admin.getStream(keys.ops(0), StringCodec.INSTANCE);
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            ops.createGroup(StreamCreateGroupArgs.name("audit").id(StreamMessageId.ALL).makeStream());
            List<CompletableFuture<SendResult>> sends = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                sends.add(producer.incr("c", 1));
            }
            sends.forEach(CompletableFuture::join);
        }
        try (Processor processor = Processor.start(config, ProcessorListener.NOOP)) {
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    "100".equals(admin.getMap(keys.counters(0), StringCodec.INSTANCE).get("c")));
            assertThat(processor.ready()).isTrue();
        }
        // the processor is gone and its lease released; housekeeping runs here under a lease of its own
        admin.getBucket(keys.lease(0), StringCodec.INSTANCE).set("hk:1");
        Housekeeping housekeeping = new Housekeeping(admin, keys, "hk:1", 0, 60_000, Retention.FOREVER, ProcessorListener.NOOP);
        housekeeping.load();

        trim(housekeeping);
        assertThat(ops.size()).as("audit has read nothing: nothing may go").isEqualTo(100);

        Map<StreamMessageId, Map<String, String>> read = ops.readGroup("audit", "a1",
                StreamReadGroupArgs.neverDelivered().count(30));
        List<StreamMessageId> ids = new ArrayList<>(read.keySet());
        ids.sort(java.util.Comparator.comparingLong(StreamMessageId::getId0).thenComparingLong(StreamMessageId::getId1));
        ops.ack("audit", ids.subList(0, 20).toArray(StreamMessageId[]::new));
        trim(housekeeping);
        assertThat(ops.size()).as("20 acknowledged by audit, 10 pending there").isEqualTo(80);
        assertThat(ops.range(org.redisson.api.stream.StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX))
                .keySet()).contains(ids.get(20)).doesNotContain(ids.get(19));

        ops.ack("audit", ids.subList(20, 30).toArray(StreamMessageId[]::new));
        trim(housekeeping);
        assertThat(ops.size()).as("30 delivered and acknowledged, 70 never delivered to audit").isEqualTo(70);

        Map<StreamMessageId, Map<String, String>> rest = ops.readGroup("audit", "a1",
                StreamReadGroupArgs.neverDelivered().count(100));
        ops.ack("audit", rest.keySet().toArray(StreamMessageId[]::new));
        trim(housekeeping);
        assertThat(ops.size()).isZero();
        assertThat(admin.getMap(keys.counters(0), StringCodec.INSTANCE).get("c")).isEqualTo("100");
    }

    private static void trim(Housekeeping housekeeping) {
        List<Integer> lost = new ArrayList<>();
        housekeeping.run(Set.of(0), List.of("hk:1"), lost::add);
        assertThat(lost).isEmpty();
    }

    @Test
    void backpressureStopsWritesLongBeforeMaxmemoryAndLosesNothingAccepted() {
        int partitions = 4;
        long limit = 2000;
        TallyConfig config = config(partitions).set(TallyConfig.BACKLOG_LIMIT, limit).build();
        Keys keys = TestRedis.keys(config);
        Map<String, Long> model = new HashMap<>();
        long accepted = 0;
        long rejected = 0;
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (rejected < 1000 && System.nanoTime() < deadline) {
                List<CompletableFuture<SendResult>> batch = new ArrayList<>();
                List<String> names = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    String counter = "c" + (i % 40);
                    names.add(counter);
                    batch.add(producer.incr(counter, 1));
                }
                for (int i = 0; i < batch.size(); i++) {
                    try {
                        batch.get(i).join();
                        model.merge(names.get(i), 1L, Long::sum);
                        accepted++;
                    } catch (CompletionException e) {
                        assertThat(e.getCause()).isInstanceOf(BackpressureException.class)
                                .hasMessageContaining("backlog-limit " + limit);
                        rejected++;
                    }
                }
            }
        }
        long usedMemory = Long.parseLong(server.cli("INFO", "memory").lines()
                .filter(l -> l.startsWith("used_memory:")).findFirst().orElseThrow().split(":")[1].trim());
        System.out.printf("backpressure: accepted %d, rejected %d (limit %d x %d partitions); used_memory %d of "
                + "maxmemory %d%n", accepted, rejected, limit, partitions, usedMemory, MAXMEMORY);
        assertThat(rejected).isGreaterThanOrEqualTo(1000);
        // the backlog is sampled once a second, so a partition may overshoot by what arrives in that second
        assertThat(accepted).isGreaterThanOrEqualTo(limit * partitions).isLessThan(limit * partitions * 25);
        assertThat(usedMemory).isLessThan(MAXMEMORY / 4);

        try (Processor processor = Processor.start(config, ProcessorListener.NOOP)) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(Counters.read(admin, keys, partitions)).isEqualTo(model));
            assertThat(processor.ready()).isTrue();
        }
    }
}
