package io.tally.processor.badinput;

import io.tally.testkit.RawRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static io.tally.processor.badinput.HostileScripts.LEASE;
import static io.tally.processor.badinput.HostileScripts.MAX_ID;
import static io.tally.processor.badinput.HostileScripts.PART;
import static io.tally.processor.badinput.HostileScripts.fields;
import static io.tally.testkit.RawRedis.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A key of the partition that cannot take an apply script's writes (another type, a stream without ids
 * left), whoever wrote it: the script refuses the call before its first write with a BADKEY error naming
 * the key, every time it is retried, so a batch is never half applied and then applied again; once the
 * key is repaired the batch applies once. ({@link HostileScripts#runAtomically} checks that a refused
 * call wrote nothing.)
 */
class BrokenPartitionKeysTest {
    /** A redis-server of the class's own, the partition emptied before each test. */
    @RegisterExtension
    static final HostileScripts h = new HostileScripts();

    private String ops() {
        return h.keys.ops(PART);
    }

    private String counter(String name) {
        return text(h.redis.call("HGET", h.keys.counters(PART), name));
    }

    private String checkpoint() {
        return text(h.redis.call("HGET", h.keys.checkpoint(PART), "ops"));
    }

    private static List<?> list(Object reply) {
        assertThat(reply).as("script reply").isInstanceOf(List.class);
        return (List<?>) reply;
    }

    /** Asserts a BADKEY refusal that names the key and says why. */
    private static void refused(Object reply, String key, String why) {
        assertThat(reply).as("script reply").isInstanceOf(RawRedis.Error.class);
        assertThat(((RawRedis.Error) reply).message()).startsWith("BADKEY " + key + " ").contains(why)
                .contains("nothing was applied");
    }

    /** The start of the current 1m bucket, on Redis time. */
    private long minuteStart() {
        long now = Long.parseLong(text(((List<?>) h.redis.call("TIME")).get(0))) * 1000;
        return now - now % 60_000;
    }

    private void onceThresholdTriggerOnC() {
        h.redis.call("HSET", h.keys.triggers(PART),
                "T", "{\"kind\":\"threshold\",\"counter\":\"c\",\"op\":\">=\",\"value\":1,\"mode\":\"once\"}",
                "T:status", "active", "T:armed", "1");
        h.redis.call("HSET", h.keys.triggersByCounter(PART), "c", "T");
    }

    @Test
    void aDlqWithoutIdsLeft_refusesABatchWithADeadLetter_everyTime_andOnceRepairedItAppliesOnce() {
        // anyone who can XADD to the dlq can use up its ids; every later 'XADD dlq *' then fails
        h.xadd(h.keys.dlq(PART), MAX_ID, fields("x", "y"));
        h.redis.call("HSET", h.keys.counters(PART), "c", "9007199254740993"); // HINCRBY, not a sum in Lua
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "1"));
        h.xadd(ops(), "*", fields("op", "bogus", "counter", "c"));

        refused(h.apply(LEASE, ">", ""), h.keys.dlq(PART), "has ids for 0 more entries");
        refused(h.apply(LEASE, "0-0", ""), h.keys.dlq(PART), "has ids for 0 more entries");
        assertThat(checkpoint()).as("nothing applied").isNull();
        assertThat(counter("c")).as("the incr of a batch that was never applied").isEqualTo("9007199254740993");

        h.redis.call("DEL", h.keys.dlq(PART));
        List<?> reply = list(h.apply(LEASE, "0-0", ""));
        assertThat(text(reply.get(3))).as("applied").isEqualTo("2");
        assertThat(text(reply.get(7))).isEqualTo("unknown_op=1");
        assertThat(counter("c")).as("one incr by 1").isEqualTo("9007199254740994");
    }

    @Test
    void aDlqWithoutIdsLeft_doesNotStopABatchThatCannotDeadLetter() {
        h.xadd(h.keys.dlq(PART), MAX_ID, fields("x", "y"));
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "5"));
        h.xadd(ops(), "*", fields("op", "set", "counter", "d", "value", "9223372036854775807"));
        assertThat(text(list(h.apply(LEASE, ">", "")).get(7))).isEmpty();
        assertThat(counter("c")).isEqualTo("5");
        assertThat(counter("d")).isEqualTo("9223372036854775807");
    }

    @Test
    void aDlqOfAnotherType_refusesABatchWithADeadLetter() {
        h.redis.call("SET", h.keys.dlq(PART), "x");
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "1"));
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "x"));
        refused(h.apply(LEASE, ">", ""), h.keys.dlq(PART), "holds a string, not a stream");
        assertThat(counter("c")).isNull();
    }

    @Test
    void aFiringsStreamWithoutIdsLeft_refusesABatchWhoseTriggerMayFire_andTheTriggerStaysArmed() {
        onceThresholdTriggerOnC();
        h.xadd(h.keys.firings(PART), MAX_ID, fields("x", "y"));
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "1"));

        refused(h.apply(LEASE, ">", ""), h.keys.firings(PART), "has ids for 0 more entries, not 1");
        assertThat(counter("c")).isNull();
        assertThat(text(h.redis.call("HGET", h.keys.triggers(PART), "T:status"))).isEqualTo("active");
        assertThat(text(h.redis.call("HGET", h.keys.triggers(PART), "T:armed"))).isEqualTo("1");
    }

    @Test
    void aFiringsStreamOfAnotherType_refusesAnEventBatchWithAMatchingTrigger() {
        h.redis.call("HSET", h.keys.triggers(PART), "E", "{\"kind\":\"event\",\"eventType\":\"t\",\"mode\":\"every\"}",
                "E:status", "active");
        h.redis.call("HSET", h.keys.triggersByEvent(PART), "t", "E");
        h.redis.call("HSET", h.keys.firings(PART), "x", "y");
        h.xadd(h.keys.events(PART), "*", fields("type", "t"));
        refused(h.apply(LEASE, "", ">"), h.keys.firings(PART), "holds a hash, not a stream");
    }

    @Test
    void aSeriesIndexOfAnotherType_refusesAWindowedBatch() {
        h.redis.call("SET", h.keys.seriesIndex(PART), "x");
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "1", "windows", "1m"));
        refused(h.apply(LEASE, ">", ""), h.keys.seriesIndex(PART), "holds a string, not a zset");
        assertThat(counter("c")).isNull();
    }

    @Test
    void theFastPath_refusesASeriesIndexOfAnotherType_beforeWritingTheCounters() {
        h.redis.call("SET", h.keys.seriesIndex(PART), "x");
        String id = text(h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "1", "windows", "1m")));
        h.redis.call("XREADGROUP", "GROUP", "tally", LEASE, "STREAMS", ops(), ">");
        Object reply = h.runAtomically("apply_counters", h.fastKeys(), LEASE, id, id, "1", id + " ", "c\n1\n",
                "1m:0\nc\n1\n", "1m:0\n3600000\n");
        refused(reply, h.keys.seriesIndex(PART), "holds a string, not a zset");
        assertThat(counter("c")).isNull();
    }

    @Test
    void aCountersHashOfAnotherType_isRefusedNamingIt_onBothPaths() {
        h.redis.call("SET", h.keys.counters(PART), "x");
        String id = text(h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "1")));
        refused(h.apply(LEASE, ">", ""), h.keys.counters(PART), "holds a string, not a hash");
        refused(h.runAtomically("apply_counters", h.fastKeys(), LEASE, id, id, "1", id + " ", "c\n1\n", "", ""),
                h.keys.counters(PART), "holds a string, not a hash");
    }

    @Test
    void aCheckpointOfAnotherType_isRefusedNamingIt_onBothPaths() {
        h.redis.call("SADD", h.keys.checkpoint(PART), "x");
        String id = text(h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "1")));
        refused(h.apply(LEASE, ">", ""), h.keys.checkpoint(PART), "holds a set, not a hash");
        refused(h.runAtomically("apply_counters", h.fastKeys(), LEASE, id, id, "1", id + " ", "c\n1\n", "", ""),
                h.keys.checkpoint(PART), "holds a set, not a hash");
    }

    /** Before, the ids' comparison failed on it as a script error, which the processor blamed on the entry. */
    @Test
    void aCheckpointFieldThatIsNoStreamId_isRefusedNamingIt_onEveryPath_andNoEntryIsBlamed() {
        for (String garbage : List.of("garbage", "12", "1-", "-1", "01-1", "1-2-3", "18446744073709551616-0")) {
            h.redis.call("HSET", h.keys.checkpoint(PART), "ops", garbage);
            String id = text(h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "1")));
            String why = "field ops holds '" + garbage + "', not a stream id";
            refused(h.apply(LEASE, ">", ""), h.keys.checkpoint(PART), why);
            refused(h.runAtomically("apply_counters", h.fastKeys(), LEASE, id, id, "1", id + " ", "c\n1\n", "", ""),
                    h.keys.checkpoint(PART), why);
            refused(h.runAtomically("dead_letter_entry", List.of(ops(), h.keys.checkpoint(PART), h.keys.lease(PART),
                    h.keys.dlq(PART)), LEASE, LEASE, "ops", "0-0", "ERR boom"), h.keys.checkpoint(PART), why);
            assertThat(counter("c")).as(garbage).isNull();
            assertThat(h.redis.call("XLEN", h.keys.dlq(PART))).as(garbage).isEqualTo(0L);
        }
        // repaired, the entries apply once
        h.redis.call("HDEL", h.keys.checkpoint(PART), "ops");
        assertThat(list(h.apply(LEASE, "0", ""))).isNotEmpty();
        assertThat(counter("c")).isEqualTo("7");
    }

    @Test
    void aTriggersHashOfAnotherType_isRefusedWhenAnIndexListsATrigger() {
        h.redis.call("HSET", h.keys.triggersByCounter(PART), "c", "T");
        h.redis.call("SET", h.keys.triggers(PART), "x");
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "1"));
        refused(h.apply(LEASE, ">", ""), h.keys.triggers(PART), "holds a string, not a hash");
        assertThat(counter("c")).isNull();
    }

    @Test
    void aTriggerIndexOfAnotherType_isRefusedNamingIt_onBothPaths() {
        h.redis.call("SET", h.keys.triggersByCounter(PART), "x");
        String id = text(h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "1")));
        refused(h.apply(LEASE, ">", ""), h.keys.triggersByCounter(PART), "holds a string, not a hash");
        refused(h.runAtomically("apply_counters", h.fastKeys(), LEASE, id, id, "1", id + " ", "c\n1\n", "", ""),
                h.keys.triggersByCounter(PART), "holds a string, not a hash");
    }

    @Test
    void aSeriesBucketOfAnotherType_isRefusedNamingIt_onBothPaths() {
        long start = minuteStart();
        String bucket = h.keys.seriesBucket(PART, "1m", start);
        h.redis.call("SET", bucket, "x");
        String id = text(h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "1", "windows", "1m",
                "ts", Long.toString(start + 1))));
        refused(h.apply(LEASE, ">", ""), bucket, "holds a string, not a hash");
        refused(h.runAtomically("apply_counters", h.fastKeys(), LEASE, id, id, "1", id + " ", "c\n1\n",
                "1m:" + start + "\nc\n1\n", "1m:" + start + "\n" + (start + 3_660_000) + "\n"), bucket,
                "holds a string, not a hash");
        assertThat(counter("c")).isNull();
    }

    @Test
    void aBucketCellThatIsNotAnInteger_isLeftAsItIs_andCounted_whileTheTotalApplies() {
        long start = minuteStart();
        String bucket = h.keys.seriesBucket(PART, "1m", start);
        h.redis.call("HSET", bucket, "c", "1.5");
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "1", "windows", "1m", "ts", Long.toString(start + 1)));
        List<?> reply = list(h.apply(LEASE, ">", ""));
        assertThat(text(reply.get(18))).as("series summary").isEqualTo("not_integer.1m=1");
        assertThat(counter("c")).isEqualTo("1");
        assertThat(text(h.redis.call("HGET", bucket, "c"))).isEqualTo("1.5");
    }

    @Test
    void thePoisonDeadLetterScript_refusesADlqWithoutIdsLeft() {
        h.xadd(h.keys.dlq(PART), MAX_ID, fields("x", "y"));
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "1"));
        h.redis.call("XREADGROUP", "GROUP", "tally", LEASE, "STREAMS", ops(), ">");
        Object reply = h.runAtomically("dead_letter_entry", List.of(ops(), h.keys.checkpoint(PART), h.keys.lease(PART),
                h.keys.dlq(PART)), LEASE, LEASE, "ops", "0-0", "ERR boom");
        refused(reply, h.keys.dlq(PART), "has ids for 0 more entries, not 1");
        assertThat(checkpoint()).isNull();
    }
}
