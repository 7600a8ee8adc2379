package io.tally.app.cli;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.RedisProcessor;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.StreamIdsExhaustedException;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.internal.admin.PartitionStatusReader;
import io.tally.producer.status.TopicStatus;
import io.tally.testkit.PipelineInspector;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A stream whose ids a writer pushed to the maximum or years ahead, end to end: the processor applies
 * the entry once and reports {@code stream_id_exhausted} (gauge, {@code haltedPartitions}, the halt hash,
 * {@code tally status}); sends fail with a clear error naming the repair (maximal id) or get future ids;
 * {@code tally repair stream-ids} makes sends work again, every entry counted exactly once, the halt gone.
 */
@ExtendWith(RealRedisExtension.class)
class StreamIdRepairTest {
    private static final String MAX_ID = "18446744073709551615-18446744073709551615";
    private static final long TEN_YEARS_MS = Duration.ofDays(3653).toMillis();

    private RedissonClient client;
    private Processor processor;
    private TallyProducer producer;
    private Keys keys;
    private PipelineInspector inspector;
    private TallyConfig config;
    private String url;
    private final List<String> halts = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp(TestRedis redis) {
        config = redis.config(1).build();
        url = redis.url();
        client = redis.client();
        keys = TestRedis.keys(config);
        inspector = new PipelineInspector(client, config.namespace(), 1);
        processor = RedisProcessor.start(client, config, new ProcessorListener() {
            @Override
            public void partitionHalted(int partition, String reason, boolean halted) {
                halts.add(reason + "=" + halted);
            }
        });
        producer = RedisTallyProducer.create(client, false, config, ProducerMetrics.NOOP);
    }

    @AfterEach
    void tearDown() {
        producer.close();
        processor.close();
        client.shutdown();
    }

    @Test
    void anEntryAtTheMaximalId_haltsSendsWithTheFix_andTheRepairRestoresExactCounting() {
        sendAndAwait(5, 5);
        rawAdd(MAX_ID, "10");
        awaitHalted(15);

        // Sends on that partition fail at once, not retriably, naming the stream and the repair.
        assertThatThrownBy(() -> producer.incr("orders", 1).join()).isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(StreamIdsExhaustedException.class)
                .hasMessageContaining(keys.ops(0)).hasMessageContaining("tally repair stream-ids --partition 0")
                .matches(e -> !((StreamIdsExhaustedException) e).retriable());
        TallyCliTest.Run cliSend = tally("incr", "orders");
        assertThat(cliSend.code()).isEqualTo(1);
        assertThat(cliSend.err()).contains("tally repair stream-ids --partition 0");

        // Without --yes: the plan, nothing written.
        TallyCliTest.Run plan = tally("repair", "stream-ids", "--partition", "0");
        assertThat(plan.code()).as(plan.err()).isZero();
        assertThat(plan.out()).contains("partition 0 ops: last id " + MAX_ID).contains("would move 1 entries")
                .contains("nothing written");
        assertThat(inspector.streamInfo(keys.ops(0))).containsEntry("last-generated-id", MAX_ID);

        repairAndAwaitResumed(1);
        sendAndAwait(7, 15 + 7);
        assertExactAndClean(22, 1);
        assertThat(inspector.deadLetters(0).get(0)).containsEntry("source_id", MAX_ID);

        // The dead letter's entry took effect: replaying it would count it twice, so it is refused.
        TallyCliTest.Run replay = tally("dlq", "replay", "--reason", "future_id");
        assertThat(replay.code()).isEqualTo(1);
        assertThat(replay.err()).contains("would apply it twice");
        assertThat(inspector.counter("orders", 0)).isEqualTo(22);
    }

    @Test
    void anEntryTenYearsAhead_whoseFollowersGotFutureIdsToo_isRepairedWithoutSkippingOrDoublingAny() {
        sendAndAwait(5, 5);
        long future = redisTimeMs() + TEN_YEARS_MS;
        rawAdd(future + "-0", "10");
        // XADD * now follows the future entry: these sends succeed, with ids ten years ahead.
        List<SendResult> followers = send(3);
        assertThat(followers).allSatisfy(r -> assertThat(Long.parseLong(r.entryId().split("-")[0])).isEqualTo(future));
        awaitHalted(5 + 10 + 3);

        repairAndAwaitResumed(4);
        // New sends get ids of today again; the lowered checkpoint lets none of them be skipped.
        List<SendResult> after = sendAndAwait(6, 18 + 6);
        assertThat(after).allSatisfy(r -> assertThat(Long.parseLong(r.entryId().split("-")[0]))
                .isLessThan(redisTimeMs() + 60_000));
        assertExactAndClean(24, 4);
    }

    @Test
    void status_printsEveryHaltedPartition_withItsDetailEscaped() {
        client.<String, String>getMap(keys.halt(0), StringCodec.INSTANCE).putAll(Map.of("reason", "unknown_version",
                "since", "1700000000000", "detail", "ops entry \u001b[2J\u0007 has version 'x'", "processor", "p-1"));

        TallyCliTest.Run status = tally("status");

        assertThat(status.code()).as(status.err()).isZero();
        assertThat(status.out()).contains("HALTED 1").contains("unknown_version").contains("2023-11-14T22:13:20Z")
                .contains("ops entry \\x1b[2J\\x07 has version 'x' (processor p-1)").doesNotContain("\u001b");
    }

    private void awaitHalted(long applied) {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(inspector.counter("orders", 0)).isEqualTo(applied);
            assertThat(processor.haltedPartitions()).containsKey(0);
            assertThat(processor.haltedPartitions().get(0).reason()).isEqualTo("stream_id_exhausted");
            assertThat(client.<String, String>getMap(keys.halt(0), StringCodec.INSTANCE).readAllMap())
                    .containsEntry("reason", "stream_id_exhausted");
        });
        assertThat(halts).containsExactly("stream_id_exhausted=true");
        assertThat(processor.haltedPartitions().get(0).detail()).contains("tally repair stream-ids --partition 0");
        TallyCliTest.Run status = tally("status");
        assertThat(status.out()).contains("HALTED 1").contains("stream_id_exhausted")
                .contains("tally repair stream-ids --partition 0");
    }

    private void repairAndAwaitResumed(int moved) {
        TallyCliTest.Run repair = tally("repair", "stream-ids", "--partition", "0", "--yes");
        assertThat(repair.code()).as(repair.err()).isZero();
        assertThat(repair.out()).contains("partition 0 ops: moved " + moved + " entries")
                .contains("partition 0 events: nothing to repair");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(processor.haltedPartitions()).isEmpty();
            assertThat(client.getKeys().countExists(keys.halt(0))).isZero();
        });
        assertThat(halts).containsExactly("stream_id_exhausted=true", "stream_id_exhausted=false");
        assertThat(tally("repair", "stream-ids", "--partition", "0", "--yes").out())
                .contains("partition 0 ops: nothing to repair");
    }

    /** The counter is exact and stays so, every entry acknowledged, the moved entries in the dlq once each. */
    private void assertExactAndClean(long expected, int deadLetters) {
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(inspector.counter("orders", 0)).isEqualTo(expected));
        assertThat(inspector.pending()).isZero();
        assertThat(inspector.checkpointMismatches()).isEmpty();
        List<Map<String, String>> dead = inspector.deadLetters(0);
        assertThat(dead).hasSize(deadLetters).allSatisfy(d -> assertThat(d).containsEntry("reason", "future_id")
                .containsEntry("applied", "1").containsEntry("source", "ops").containsEntry("f.counter", "orders"));
        // XSETID and XGROUP SETID left Redis able to count the lag exactly.
        TopicStatus ops = new PartitionStatusReader(client, keys, 1).read().partitions().get(0).ops();
        assertThat(ops.lag()).as("-1 when Redis cannot count the lag").isZero();
        assertThat(ops.backlog()).isZero();
        Map<String, String> info = inspector.streamInfo(keys.ops(0));
        assertThat(Long.parseLong(info.get("last-generated-id").split("-")[0])).isLessThan(redisTimeMs() + 60_000);
    }

    private List<SendResult> sendAndAwait(int n, long expected) {
        List<SendResult> sent = send(n);
        await().atMost(Duration.ofSeconds(20)).until(() -> inspector.counter("orders", 0) == expected);
        return sent;
    }

    private List<SendResult> send(int n) {
        List<SendResult> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(producer.incr("orders", 1).join());
        }
        return out;
    }

    /** An entry with an id of the writer's choosing, as any program that can XADD may write. */
    private void rawAdd(String id, String by) {
        client.getScript(StringCodec.INSTANCE).eval(RScript.Mode.READ_WRITE,
                "return redis.call('XADD', KEYS[1], ARGV[1], 'op', 'incr', 'counter', 'orders', 'by', ARGV[2])",
                RScript.ReturnType.VALUE, List.of(keys.ops(0)), id, by);
    }

    private long redisTimeMs() {
        Long ms = client.getScript(StringCodec.INSTANCE).eval(RScript.Mode.READ_ONLY,
                "local t = redis.call('TIME') return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)",
                RScript.ReturnType.LONG, List.of());
        return ms;
    }

    private TallyCliTest.Run tally(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--redis-url", url, "--namespace", config.namespace()));
        return TallyCliTest.run(all.toArray(String[]::new));
    }
}
