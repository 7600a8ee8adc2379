package io.tally.processor.badinput;

import io.tally.testkit.RawRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.tally.processor.badinput.HostileScripts.LEASE;
import static io.tally.processor.badinput.HostileScripts.MAX_ID;
import static io.tally.processor.badinput.HostileScripts.PART;
import static io.tally.processor.badinput.HostileScripts.fields;
import static io.tally.testkit.RawRedis.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One test per hostile input that used to fail a data script half-way or let it decide wrongly: each
 * script now completes (or writes nothing), and the outcome is asserted on values.
 */
class HostileEntriesTest {
    /** A redis-server of the class's own, the partition emptied before each test. */
    @RegisterExtension
    static final HostileScripts h = new HostileScripts();

    private String ops() {
        return h.keys.ops(PART);
    }

    private String counter(String name) {
        return text(h.redis.call("HGET", h.keys.counters(PART), name));
    }

    private static List<?> list(Object reply) {
        assertThat(reply).as("script reply").isInstanceOf(List.class);
        return (List<?>) reply;
    }

    /** Fields of the newest entry of a stream, as a map (last value of a repeated name). */
    private Map<String, String> newest(String stream) {
        List<?> r = (List<?>) h.redis.call("XREVRANGE", stream, "+", "-", "COUNT", 1);
        List<?> flat = (List<?>) ((List<?>) r.get(0)).get(1);
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < flat.size(); i += 2) {
            m.put(text(flat.get(i)), text(flat.get(i + 1)));
        }
        m.put("#fields", Integer.toString(flat.size() / 2));
        return m;
    }

    @Test
    void anEntryOf4000FieldsAfterABigIncrIsADeadLetterAndTheIncrAppliesOnce() {
        h.redis.call("HSET", h.keys.counters(PART), "c", "9007199254740993");
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "1"));
        List<byte[]> big = new ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            big.add(RawRedis.bytes("x" + i));
            big.add(RawRedis.bytes("v"));
        }
        h.xadd(ops(), "*", big);

        List<?> reply = list(h.apply(LEASE, ">", ""));
        assertThat(text(reply.get(1))).isEqualTo("OK");
        assertThat(text(reply.get(7))).isEqualTo("too_many_fields=1");
        assertThat(counter("c")).isEqualTo("9007199254740994");
        Map<String, String> dead = newest(h.keys.dlq(PART));
        assertThat(dead.get("reason")).isEqualTo("too_many_fields");
        assertThat(dead.get("truncated")).isEqualTo("4000");
        assertThat(dead.get("f.x999")).isEqualTo("v");
        assertThat(dead).doesNotContainKey("f.x1000").containsKey("raw");
        assertThat(text(h.redis.call("XLEN", ops()))).isEqualTo("2");
    }

    @Test
    void aNameAnotherProgramStoredInTheCountersHash_isJudgedLikeAnyOther() {
        String bad = "tab\there"; // a control character: no entry may name it
        h.redis.call("HSET", h.keys.counters(PART), bad, "5");
        h.xadd(ops(), "*", fields("op", "incr", "counter", bad, "by", "1"));
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "2"));

        List<?> reply = list(h.apply(LEASE, ">", ""));

        assertThat(text(reply.get(1))).isEqualTo("OK");
        assertThat(text(reply.get(7))).isEqualTo("control_char=1");
        assertThat(counter(bad)).as("left as the other program wrote it").isEqualTo("5");
        assertThat(counter("c")).isEqualTo("2");
        assertThat(newest(h.keys.dlq(PART)).get("reason")).isEqualTo("control_char");
    }

    @Test
    void anEntryNamingCounter8001TimesIsADeadLetter() {
        List<byte[]> flat = new ArrayList<>(fields("op", "incr"));
        for (int i = 0; i <= 8000; i++) {
            flat.add(RawRedis.bytes("counter"));
            flat.add(RawRedis.bytes("c" + i));
        }
        h.xadd(ops(), "*", flat);
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "5"));
        List<?> reply = list(h.apply(LEASE, ">", ""));
        assertThat(text(reply.get(7))).isEqualTo("too_many_fields=1");
        assertThat(counter("c")).isEqualTo("5");
    }

    @Test
    void idsBeyondTwoToThe53AreComparedExactlyAgainstTheCheckpoint() {
        // as numbers both ids have the same ms, and the entry would look newer than the checkpoint
        h.xadd(ops(), "18446744073709551614-1", fields("op", "incr", "counter", "c"));
        h.redis.call("HSET", h.keys.checkpoint(PART), "ops", "18446744073709551615-0");
        h.redis.call("XREADGROUP", "GROUP", "tally", LEASE, "STREAMS", ops(), ">");
        List<?> reply = list(h.apply(LEASE, "0-0", ""));
        // state, read, applied, redelivered
        assertThat(reply.subList(1, 5).stream().map(RawRedis::text)).containsExactly("OK", "1", "0", "1");
        assertThat(h.redis.call("HGET", h.keys.counters(PART), "c")).isNull();
    }

    @Test
    void thePoisonDeadLetterScriptComparesIdsBeyondTwoToThe53Exactly() {
        // as numbers the entry's ms equals the checkpoint's, and the entry would look already applied
        h.xadd(ops(), "18446744073709551615-0", fields("op", "incr", "counter", "c"));
        h.redis.call("HSET", h.keys.checkpoint(PART), "ops", "18446744073709551614-0");
        h.redis.call("XREADGROUP", "GROUP", "tally", LEASE, "STREAMS", ops(), ">");
        List<?> reply = list(h.runAtomically("dead_letter_entry",
                List.of(ops(), h.keys.checkpoint(PART), h.keys.lease(PART), h.keys.dlq(PART)),
                LEASE, LEASE, "ops", "0-0", "ERR boom"));
        assertThat(reply.stream().map(RawRedis::text)).containsExactly("DEAD", "18446744073709551615-0");
        assertThat(text(h.redis.call("HGET", h.keys.checkpoint(PART), "ops"))).isEqualTo("18446744073709551615-0");
        assertThat(h.redis.call("XLEN", h.keys.dlq(PART))).isEqualTo(1L);
    }

    @Test
    void anEntryWithTheMaximalIdIsAppliedWithoutALatencyStamp() {
        h.xadd(ops(), MAX_ID, fields("op", "incr", "counter", "c", "by", "3"));
        List<?> reply = list(h.apply(LEASE, ">", ""));
        assertThat(text(reply.get(1))).isEqualTo("OK");
        assertThat(text(reply.get(6))).isEqualTo(MAX_ID);
        assertThat(text(reply.get(8))).isEmpty(); // no entry time a processor would fail to parse
        assertThat(counter("c")).isEqualTo("3");
    }

    @Test
    void aFarFutureIdIsBucketedByRedisTimeAndCountedAsFuture() {
        long now = Long.parseLong(text(((List<?>) h.redis.call("TIME")).get(0))) * 1000;
        long tenYears = 10L * 365 * 24 * 3600 * 1000;
        h.xadd(ops(), (now + tenYears) + "-0", fields("op", "incr", "counter", "c", "by", "2", "windows", "1m"));
        List<?> reply = list(h.apply(LEASE, ">", ""));
        assertThat(text(reply.get(reply.size() - 1))).isEqualTo("future.1m=1");
        assertThat(counter("c")).isEqualTo("2");
        List<?> buckets = (List<?>) h.redis.call("ZRANGE", h.keys.seriesIndex(PART), "0", "-1", "WITHSCORES");
        assertThat(buckets).hasSize(2);
        String key = text(buckets.get(0));
        long start = Long.parseLong(key.substring(key.lastIndexOf(':') + 1));
        assertThat(start).isBetween(now - 120_000, now + 120_000);
        assertThat(text(h.redis.call("HGET", key, "c"))).isEqualTo("2");
    }

    @Test
    void aStoredMinusZeroIsNotIntegerOnBothPaths() {
        h.redis.call("HSET", h.keys.counters(PART), "c", "-0");
        String id = text(h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "1")));
        h.redis.call("XREADGROUP", "GROUP", "tally", LEASE, "STREAMS", ops(), ">");
        List<?> fast = list(h.runAtomically("apply_counters", h.fastKeys(), LEASE, id, id, "1", id + " ", "c\n1\n", "", ""));
        assertThat(fast.stream().map(RawRedis::text)).containsExactly("SLOW", "value");
        assertThat(counter("c")).isEqualTo("-0");

        List<?> reply = list(h.apply(LEASE, "0-0", ""));
        assertThat(text(reply.get(7))).isEqualTo("not_integer=1");
        assertThat(counter("c")).isEqualTo("-0");
    }

    @Test
    void aPendingListThatSkipsAnotherConsumersEntryIsAGapAndTheClaimPathIsExact() {
        String a = "a:1";
        String b = "b:1";
        for (int i = 1; i <= 3; i++) {
            h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", Integer.toString(i)));
        }
        for (String consumer : List.of(a, b, a)) {
            h.redis.call("XREADGROUP", "GROUP", "tally", consumer, "COUNT", 1, "STREAMS", ops(), ">");
        }
        List<?> gap = list(h.apply(a, "0-0", ""));
        assertThat(text(gap.get(1))).isEqualTo("GAP");
        assertThat(h.redis.call("HGET", h.keys.counters(PART), "c")).isNull();
        assertThat(h.redis.call("HGET", h.keys.checkpoint(PART), "ops")).isNull();

        List<?> claimed = list(h.runAtomically("claim", List.of(ops(), h.keys.lease(PART)), LEASE, a, "0-0", 100));
        assertThat(text(claimed.get(0))).isEqualTo("OK");
        List<?> reply = list(h.apply(a, "0-0", ""));
        assertThat(text(reply.get(1))).isEqualTo("OK");
        assertThat(counter("c")).isEqualTo("6");
    }

    @Test
    void aStoredTriggerWith10000ParamsFiresWithAtMost100() {
        StringBuilder params = new StringBuilder();
        for (int i = 0; i < 10_000; i++) {
            params.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        String def = "{\"kind\":\"event\",\"mode\":\"every\",\"eventType\":\"t\",\"params\":{" + params + "}}";
        h.redis.call("HSET", h.keys.triggers(PART), "T1", def, "T1:status", "active");
        h.redis.call("HSET", h.keys.triggersByEvent(PART), "t", "T1");
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c"));
        h.xadd(h.keys.events(PART), "*", fields("type", "t"));
        List<?> reply = list(h.apply(LEASE, ">", ">"));
        assertThat(text(reply.get(17))).isEqualTo("event=1");
        Map<String, String> firing = newest(h.keys.firings(PART));
        assertThat(firing.keySet().stream().filter(k -> k.startsWith("p.")).count()).isEqualTo(100);
        assertThat(counter("c")).isEqualTo("1");
    }

    @Test
    void aBrokenStoredTimeTriggerIsDroppedWithoutUndoingTheOthersFiring() {
        h.redis.call("HSET", h.keys.triggers(PART), "A", "{\"kind\":\"time\",\"params\":{\"x\":\"1\"}}", "A:status", "active",
                "B", "{broken", "B:status", "active", "C", "{\"kind\":\"time\",\"every\":0}", "C:status", "active");
        h.redis.call("ZADD", h.keys.schedule(PART), "1", "A", "2", "B", "-inf", "C");
        List<?> reply = list(h.runAtomically("time_fire", h.timeFireKeys(), LEASE, 10));
        assertThat(text(reply.get(1))).isEqualTo("1");
        assertThat(h.redis.call("ZCARD", h.keys.schedule(PART))).isEqualTo(0L);
        assertThat(newest(h.keys.firings(PART))).containsEntry("trigger", "A").containsEntry("p.x", "1");
    }

    @Test
    void cancellingATriggerWhoseStoredDefinitionIsBrokenCompletes() {
        h.redis.call("HSET", h.keys.triggers(PART), "X", "[1,", "X:status", "active");
        List<?> reply = list(h.runAtomically("trigger_cancel", h.triggerKeys(), "X"));
        assertThat(text(reply.get(0))).isEqualTo("OK");
        assertThat(text(h.redis.call("HGET", h.keys.triggers(PART), "X:status"))).isEqualTo("canceled");
    }
}
