package io.tally.processor;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.processor.internal.RedisProcessor;
import io.tally.processor.internal.apply.ApplyScripts;
import io.tally.testkit.PipelineInspector;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An entry apply.lua fails on (any cause no rule anticipated) is isolated: the failing batch backs off,
 * is narrowed down to that one entry, which becomes a dead letter {@code script_error}, and every other
 * entry of the partition is applied exactly once. The failure is driven by a real script in a real
 * Redis: apply.lua with one line added that raises an error on an entry whose op is {@code boom} (today's
 * apply.lua would dead-letter it as unknown_op; the variant stands for a failure no rule foresaw).
 */
@ExtendWith(RealRedisExtension.class)
class PoisonIsolationTest {
    private static final LuaScript FAILING_APPLY = LuaScript.of("apply_failing_on_boom",
            ApplyScripts.APPLY.source().replace("      local f = to_map(flat)\n",
                    "      local f = to_map(flat)\n"
                            + "      if f.op == 'boom' then error('cannot apply entry ' .. id) end\n"));

    private RedissonClient client;
    private Processor processor;
    private Keys keys;
    private PipelineInspector inspector;
    private final Recorded metrics = new Recorded();
    private TallyConfig config;

    @BeforeEach
    void setUp(TestRedis redis) {
        assertThat(FAILING_APPLY.source()).contains("'boom'");
        config = redis.config(1).set(TallyConfig.BATCH_SIZE, 16).build();
        client = redis.client();
        keys = TestRedis.keys(config);
        inspector = new PipelineInspector(client, config.namespace(), 1);
    }

    @AfterEach
    void tearDown() {
        if (processor != null) {
            processor.close();
        }
        client.shutdown();
    }

    @Test
    void aBatchFailingWithAScriptErrorIsNarrowedToItsPoisonEntryWhichIsDeadLettered() {
        List<String> booms = new ArrayList<>();
        booms.add(poisonAmong(20, "orders"));
        processor = RedisProcessor.startWithApplyScript(client, config, metrics, FAILING_APPLY);

        await().atMost(Duration.ofSeconds(30)).until(() -> inspector.deadLetters(0).size() == 1);
        // Retried with back-off and narrowed (16, 16, 8, 4, 2, 1 entries), not ~55 times a second.
        assertThat(scriptErrors()).isBetween(2L, 8L);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(inspector.counter("orders", 0)).isEqualTo(40));
        assertThat(metrics.halted).contains("poison_retrying=true", "poison_retrying=false");
        assertThat(processor.haltedPartitions()).isEmpty();

        // Live now (the fast path reads and folds): a second poison entry among 60 others.
        booms.add(poisonAmong(30, "orders"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(inspector.counter("orders", 0)).isEqualTo(100);
            assertThat(inspector.deadLetters(0)).hasSize(2);
            assertThat(inspector.checkpointMismatches()).isEmpty();
        });
        // Exactly once: a few more seconds change nothing.
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4))
                .untilAsserted(() -> assertThat(inspector.counter("orders", 0)).isEqualTo(100));
        assertThat(inspector.pending()).isZero();

        List<Map<String, String>> dead = inspector.deadLetters(0);
        assertThat(dead).extracting(d -> d.get("source_id")).containsExactlyElementsOf(booms);
        assertThat(dead).allSatisfy(d -> {
            assertThat(d).containsEntry("reason", "script_error").containsEntry("source", "ops")
                    .containsEntry("f.op", "boom").containsEntry("f.counter", "orders");
            assertThat(d.get("error")).contains("cannot apply entry").doesNotContain("@user_script");
        });
        assertThat(metrics.poison.get()).isEqualTo(2);
        assertThat(metrics.failures).containsKey("script_error").doesNotContainKey("redis_refused");
        assertThat(client.getKeys().countExists(keys.halt(0))).isZero();
    }

    @Test
    void anUnknownVersionHaltIsVisibleAndEndsOnceTheEntryIsRemoved() {
        processor = RedisProcessor.start(client, config, metrics);
        incr("signups");
        String v2 = add("v", "2", "op", "incr", "counter", "signups");
        incr("signups");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(processor.haltedPartitions()).containsKey(0);
            assertThat(processor.haltedPartitions().get(0).reason()).isEqualTo("unknown_version");
            assertThat(client.<String, String>getMap(keys.halt(0), StringCodec.INSTANCE).readAllMap())
                    .containsEntry("reason", "unknown_version").containsKey("since");
        });
        assertThat(inspector.counter("signups", 0)).isEqualTo(1);

        String[] id = v2.split("-");
        client.getStream(keys.ops(0), StringCodec.INSTANCE)
                .remove(new StreamMessageId(Long.parseLong(id[0]), Long.parseLong(id[1])));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(inspector.counter("signups", 0)).isEqualTo(2);
            assertThat(processor.haltedPartitions()).isEmpty();
            assertThat(client.getKeys().countExists(keys.halt(0))).isZero();
        });
        assertThat(metrics.halted).containsExactly("unknown_version=true", "unknown_version=false");
        assertThat(inspector.deadLetters(0)).isEmpty();
    }

    /** Adds {@code around} increments of {@code counter}, a poison entry on it, and as many increments again. */
    private String poisonAmong(int around, String counter) {
        for (int i = 0; i < around; i++) {
            incr(counter);
        }
        String poison = add("op", "boom", "counter", counter);
        for (int i = 0; i < around; i++) {
            incr(counter);
        }
        return poison;
    }

    private void incr(String counter) {
        add("op", "incr", "counter", counter, "by", "1");
    }

    private String add(String... kv) {
        Map<String, String> fields = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            fields.put(kv[i], kv[i + 1]);
        }
        StreamMessageId id = client.<String, String>getStream(keys.ops(0), StringCodec.INSTANCE)
                .add(StreamAddArgs.entries(fields));
        return id.toString();
    }

    /** Error replies with code ERR Redis has sent (INFO errorstats): here, the failing script's calls. */
    private long scriptErrors() {
        String stats = client.getScript(StringCodec.INSTANCE).eval(org.redisson.api.RScript.Mode.READ_ONLY,
                "return redis.call('INFO', 'errorstats')", org.redisson.api.RScript.ReturnType.VALUE, List.of());
        for (String line : stats.split("\r?\n")) {
            if (line.startsWith("errorstat_ERR:count=")) {
                return Long.parseLong(line.substring("errorstat_ERR:count=".length()).trim());
            }
        }
        return 0;
    }

    /** What the processor reported about failures, poison entries and halts. */
    private static final class Recorded implements ProcessorListener {
        final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
        final AtomicInteger poison = new AtomicInteger();
        final List<String> halted = new CopyOnWriteArrayList<>();

        @Override
        public void applyFailure(String reason) {
            failures.computeIfAbsent(reason, r -> new AtomicInteger()).incrementAndGet();
        }

        @Override
        public void poisonEntry(String topic) {
            poison.incrementAndGet();
        }

        @Override
        public void partitionHalted(int partition, String reason, boolean on) {
            halted.add(reason + "=" + on);
        }
    }
}
