package io.tally.it.resilience;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.internal.redis.LuaScript;
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
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.testkit.TestRedis;
import io.tally.testkit.RealClusterExtension;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * Producer and processors run unchanged on a 3-master Redis Cluster, and every script and admin path
 * runs on every shard, so that no CROSSSLOT error can hide in a code path the pipeline test misses.
 */
@Tag("slow")
@SuppressWarnings("unchecked")
class ClusterPipelineTest {
    private static final int P = 24;

    @RegisterExtension
    static final RealClusterExtension cluster = new RealClusterExtension();

    @Test
    void producerAndTwoProcessorsGiveExactCountersOnTheCluster() {
        TallyConfig config = cluster.get().config(P).set(TallyConfig.LEASE_TTL_MS, 3000).build();
        Keys keys = TestRedis.keys(config);
        Map<String, Long> model = new HashMap<>();
        try (Processor a = Processor.start(config, ProcessorListener.NOOP);
             Processor b = Processor.start(config, ProcessorListener.NOOP);
             TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            List<CompletableFuture<?>> sends = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                String counter = "c" + (i % 97);
                long by = i % 7 - 2;
                CounterOp op = i % 2 == 0 ? CounterOp.incr(counter, by) : CounterOp.incr(counter, by).withId("id" + i);
                sends.add(producer.send(op));
                model.merge(counter, by, Long::sum);
                if (i % 1000 == 0) {
                    sends.add(producer.emit(Event.of("signup", Map.of("plan", "pro")).withId("e" + i)));
                }
            }
            // a duplicate (same id, same payload as send 1) is written once
            CompletableFuture<SendResult> duplicate = producer.send(CounterOp.incr("c1", -1).withId("id1"));
            producer.flush();
            sends.forEach(CompletableFuture::join);
            assertThat(duplicate.join().duplicate()).isTrue();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(Counters.read(cluster.admin(), keys, P)).isEqualTo(model));
            assertThat(a.ownedPartitions().size() + b.ownedPartitions().size()).isEqualTo(P);
            assertThat(a.ownedPartitions()).doesNotContainAnyElementsOf(b.ownedPartitions());
        }
    }

    @Test
    void everyScriptRunsOnEveryShardWithoutCrossSlot() {
        TallyConfig config = cluster.get().config(P).build();
        RedissonClient admin = cluster.admin();
        Namespace.requireNoEviction(admin, config.get(TallyConfig.REDIS_MODE));
        Namespace ns = Namespace.create(admin, config);
        Keys keys = ns.keys();
        Set<Integer> shards = new HashSet<>(cluster.get().partitionMasters(keys, P).values());
        assertThat(shards).hasSize(3);
        String me = "it:token";
        for (int p = 0; p < P; p++) {
            String counter = counterOn(ns, p);
            assertThat(run("lease", List.of(keys.lease(p)), "acquire", me, 30_000)).isEqualTo(1L);
            assertThat(run("lease", List.of(keys.lease(p)), "renew", me, 30_000)).isEqualTo(1L);
            assertThat(run("lease", List.of(keys.lease(p)), "peek", me, 30_000)).isEqualTo(me);
            List<?> sent = (List<?>) run("send_batch", List.of(keys.ops(p), keys.dedupe(p, "ops", counter, "x{1}:*")), 60_000, 1,
                    4, 1, "op", "incr", "counter", counter, "by", "5", "id", "x{1}:*");
            List<?> again = (List<Object>) run("send_batch", List.of(keys.ops(p), keys.dedupe(p, "ops", counter, "x{1}:*")), 60_000, 1,
                    4, 1, "op", "incr", "counter", counter, "by", "5", "id", "x{1}:*");
            assertThat(again.get(0)).isEqualTo(sent.get(0));
            assertThat(again.get(1)).isEqualTo(1L);
            admin.getStream(keys.events(p), StringCodec.INSTANCE).add(
                    org.redisson.api.stream.StreamAddArgs.entries(Map.of("id", "e{1}:*")));
            assertThat((List<Object>) run("backlog", keys.inputStreams(p))).containsExactly(1L, 1L);
            List<?> applied = (List<Object>) run("apply", io.tally.processor.internal.apply.ApplyScripts.applyKeys(keys, p)
                    .stream().map(String::valueOf).toList(), me, "c1", p, P, 100, ">", ">");
            assertThat(applied.get(0)).isEqualTo("OK");
            assertThat(applied.get(1)).as("ops state on partition %d", p).isEqualTo("OK");
            assertThat(admin.getMap(keys.counters(p), StringCodec.INSTANCE).get(counter)).isEqualTo("5");
            assertThat(admin.getStream(keys.dlq(p), StringCodec.INSTANCE).size()).isEqualTo(1);
            List<?> claimed = (List<Object>) run("claim", List.of(keys.ops(p), keys.lease(p)), me, "c2", "0-0", 100);
            assertThat(claimed.get(0)).isEqualTo("OK");
            assertThat((List<Object>) run("retention", List.of(keys.ops(p), keys.lease(p)), me)).containsExactly("OK", 1L);
            assertThat(admin.getStream(keys.ops(p)).size()).isZero();
            assertThat(((List<Object>) run("consumers_gc", List.of(keys.events(p), keys.lease(p)), me, -1)).get(0))
                    .isEqualTo("OK");
            assertThat(run("lease", List.of(keys.lease(p)), "release", me, 30_000)).isEqualTo(1L);
        }
        List<Object> beat = (List<Object>) run("heartbeat", List.of(keys.members()), me, 10_000, "beat");
        assertThat(beat).contains(me);
        // Java paths that pipeline scripts of many partitions (one batch spanning the shards)
        Set<Integer> all = new HashSet<>();
        for (int p = 0; p < P; p++) {
            run("lease", List.of(keys.lease(p)), "acquire", me, 30_000);
            all.add(p);
        }
        // the status reader pipelines partition_status.lua over every partition (lag metrics, `tally status`)
        assertThat(new io.tally.producer.internal.admin.PartitionStatusReader(admin, keys, P).read().partitions()).hasSize(P);
        Housekeeping housekeeping = new Housekeeping(admin, keys, me, 0, 0, Retention.FOREVER, ProcessorListener.NOOP);
        housekeeping.load();
        Set<Integer> lost = new HashSet<>();
        housekeeping.run(all, List.of(me), lost::add);
        assertThat(lost).isEmpty();
    }

    @Test
    void backpressureWorksOnTheCluster() {
        TallyConfig config = cluster.get().config(P).set(TallyConfig.BACKLOG_LIMIT, 50L).build();
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            // no processor runs: the backlog of the partition of "hot" grows until sends are refused
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                Throwable t = catchThrowable(() -> producer.incr("hot", 1).get(5, TimeUnit.SECONDS));
                assertThat(t).hasCauseInstanceOf(BackpressureException.class);
            });
        }
    }

    @Test
    void triggersFiringsAndTheirScriptsWorkOnTheCluster() throws Exception {
        TallyConfig config = cluster.get().config(P).set(TallyConfig.TICK_MS, 100).build();
        java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        try (Processor a = Processor.start(config, ProcessorListener.NOOP);
             Processor b = Processor.start(config, ProcessorListener.NOOP);
             TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP);
             io.tally.producer.triggers.TriggerClient triggers = RedisTriggerClient.create(config);
             io.tally.producer.firings.FiringsConsumer consumer = io.tally.producer.internal.triggers.RedisFiringsConsumer
                     .builder(cluster.admin(), config, "alerts", f -> seen.add(f.triggerId())).start()) {
            await().atMost(Duration.ofSeconds(20)).until(() -> a.ownedPartitions().size() + b.ownedPartitions().size() == P);
            var onEvent = triggers.create(io.tally.common.trigger.TriggerDefinition.event("signup").build());
            var onCount = triggers.create(io.tally.common.trigger.TriggerDefinition
                    .threshold("hits", io.tally.common.trigger.ThresholdOp.GTE, 10).build());
            var onTime = triggers.create(io.tally.common.trigger.TriggerDefinition
                    .time(System.currentTimeMillis() + 500).build());
            var canceled = triggers.create(io.tally.common.trigger.TriggerDefinition.event("never").build());
            assertThat(triggers.cancel(canceled.id())).isPresent();
            assertThat(triggers.list(null, null)).hasSize(4);
            producer.emit(Event.of("signup", Map.of("plan", "pro"))).join();
            for (int i = 0; i < 10; i++) {
                producer.incr("hits", 1).join();
            }
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    seen.containsAll(List.of(onEvent.id(), onCount.id(), onTime.id())));
            assertThat(seen).doesNotContain(canceled.id());
            assertThat(consumer.handled()).isGreaterThanOrEqualTo(3);
        }
    }

    private static Object run(String script, List<String> keys, Object... argv) {
        return LuaScript.resource(script).eval(cluster.admin(), script.equals("lease") && "peek".equals(argv[0])
                ? RScript.ReturnType.VALUE : returnType(script), new ArrayList<Object>(keys), argv);
    }

    private static RScript.ReturnType returnType(String script) {
        return switch (script) {
            case "lease" -> RScript.ReturnType.LONG;
            default -> RScript.ReturnType.LIST;
        };
    }

    private static String counterOn(Namespace ns, int p) {
        for (int i = 0; ; i++) {
            if (ns.partitioner().partitionOf("k" + i) == p) {
                return "k" + i;
            }
        }
    }
}
