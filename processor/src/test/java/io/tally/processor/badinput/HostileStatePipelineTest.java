package io.tally.processor.badinput;

import io.tally.common.internal.keys.Partitioner;
import io.tally.processor.PartitionHalt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RScript;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Through a running processor (its fast path, the hand-over to apply.lua, retries and narrowing): entries
 * written straight into the streams next to keys someone else broke are applied exactly once or
 * dead-lettered. A partition whose own key cannot take the writes is halted as redis_refused with the
 * key named, applies nothing meanwhile, and applies each entry once after the key is repaired.
 */
class HostileStatePipelineTest {
    private static final String XADD = "return redis.call('XADD', KEYS[1], ARGV[1], unpack(ARGV, 2))";
    private BadInputPipeline pipeline;

    @BeforeEach
    void start() {
        pipeline = new BadInputPipeline();
    }

    @AfterEach
    void stop() {
        pipeline.close();
    }

    private void xadd(String stream, String id, String... fields) {
        Object[] argv = new Object[fields.length + 1];
        argv[0] = id;
        System.arraycopy(fields, 0, argv, 1, fields.length);
        pipeline.admin.getScript(StringCodec.INSTANCE).eval(stream, RScript.Mode.READ_WRITE, XADD, RScript.ReturnType.VALUE,
                List.of(stream), argv);
    }

    /** Entries XADDed in one call, so that the processor reads them as one batch. */
    private void oneBatch(String stream, String script, Object... argv) {
        pipeline.admin.getScript(StringCodec.INSTANCE).eval(stream, RScript.Mode.READ_WRITE, script,
                RScript.ReturnType.VALUE, List.of(stream), argv);
    }

    private String counter(int p, String name) {
        return pipeline.admin.<String, String>getMap(pipeline.keys.counters(p), StringCodec.INSTANCE).get(name);
    }

    private Map<String, String> deadLetter(int p) {
        var dlq = pipeline.admin.<String, String>getStream(pipeline.keys.dlq(p), StringCodec.INSTANCE);
        return dlq.range(org.redisson.api.stream.StreamMessageId.MIN, org.redisson.api.stream.StreamMessageId.MAX)
                .values().iterator().next();
    }

    @Test
    void fractionalAndExponentAmounts_areDeadLetters_notAppliedValues() {
        int p = new Partitioner(BadInputPipeline.P).partitionOf("c");
        RawEntry half = RawEntry.ops().field("op", "incr").field("counter", "c").field("by", "0.5").build();
        RawEntry exp = RawEntry.ops().field("op", "incr").field("counter", "c").field("by", "1e+14").build();
        RawEntry one = RawEntry.ops().field("op", "incr").field("counter", "c").field("by", "1").build();
        List<String> outcomes = pipeline.submit(List.of(new BadInputPipeline.Placed(half, p),
                new BadInputPipeline.Placed(half, p), new BadInputPipeline.Placed(exp, p), new BadInputPipeline.Placed(one, p)));
        assertThat(outcomes).containsExactly("bad_number", "bad_number", "bad_number", Verdict.APPLIED);
        assertThat(counter(p, "c")).isEqualTo("1");
    }

    @Test
    void aDlqWithoutIdsLeft_haltsThePartitionNamingIt_andOnceRepairedABigIncrAppliesOnce() {
        int p = new Partitioner(BadInputPipeline.P).partitionOf("big");
        pipeline.admin.getMap(pipeline.keys.counters(p), StringCodec.INSTANCE).put("big", "9007199254740993");
        xadd(pipeline.keys.dlq(p), HostileScripts.MAX_ID, "x", "y"); // the partition's dlq has no id left
        oneBatch(pipeline.keys.ops(p), "redis.call('XADD', KEYS[1], '*', 'op', 'incr', 'counter', 'big', 'by', '1') "
                + "return redis.call('XADD', KEYS[1], '*', 'op', 'bogus', 'counter', 'big')");

        await().atMost(Duration.ofSeconds(20)).until(() -> pipeline.halts().containsKey(p));
        PartitionHalt halt = pipeline.halts().get(p);
        assertThat(halt.reason()).isEqualTo("redis_refused");
        assertThat(halt.detail()).startsWith("BADKEY " + pipeline.keys.dlq(p) + " has ids for 0 more entries");
        Map<String, String> shown = await().atMost(Duration.ofSeconds(20)).until(() -> pipeline.admin.<String, String>getMap(
                pipeline.keys.halt(p), StringCodec.INSTANCE).readAllMap(), m -> !m.isEmpty());
        assertThat(shown).containsEntry("reason", "redis_refused").containsEntry("detail", halt.detail());
        // the partition retries meanwhile (back-off from 100 ms), never applies the incr, and stays halted
        // (a claim of its pending entries between two refusals does not end the halt)
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                .until(() -> "9007199254740993".equals(counter(p, "big")) && pipeline.halts().containsKey(p));

        pipeline.admin.getKeys().delete(pipeline.keys.dlq(p)); // the operator's repair
        await().atMost(Duration.ofSeconds(20)).until(() -> pipeline.drained() && !pipeline.halts().containsKey(p));
        assertThat(counter(p, "big")).as("one incr by 1 of 9007199254740993").isEqualTo("9007199254740994");
        assertThat(deadLetter(p)).containsEntry("reason", "unknown_op").containsEntry("f.op", "bogus");
    }

    @Test
    void aUniqueOnABrokenHyperLogLog_isADeadLetter_andTheIncrOfItsBatchAppliesOnce() {
        Partitioner partitioner = new Partitioner(BadInputPipeline.P);
        int p = partitioner.partitionOf("u");
        String c = "c0";
        for (int i = 1; partitioner.partitionOf(c) != p; i++) {
            c = "c" + i;
        }
        // a plain string where the all-time HyperLogLog of 'u' lives
        pipeline.admin.getBucket(pipeline.keys.hll(p, "u"), StringCodec.INSTANCE).set("not a hyperloglog");
        oneBatch(pipeline.keys.ops(p), "redis.call('XADD', KEYS[1], '*', 'op', 'incr', 'counter', ARGV[1], 'by', '1') "
                + "return redis.call('XADD', KEYS[1], '*', 'op', 'unique', 'counter', 'u', 'member', 'm')", c);

        await().atMost(Duration.ofSeconds(20)).until(() -> pipeline.drained());
        assertThat(counter(p, c)).as("one incr by 1").isEqualTo("1");
        assertThat(deadLetter(p)).containsEntry("reason", "not_hll").containsEntry("f.counter", "u");
        assertThat(pipeline.halts()).isEmpty();
        assertThat(pipeline.admin.getBucket(pipeline.keys.hll(p, "u"), StringCodec.INSTANCE).get())
                .isEqualTo("not a hyperloglog");
    }
}
