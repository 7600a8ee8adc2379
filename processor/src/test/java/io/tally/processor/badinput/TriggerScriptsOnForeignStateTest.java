package io.tally.processor.badinput;

import io.tally.testkit.RawRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.tally.processor.badinput.HostileScripts.LEASE;
import static io.tally.processor.badinput.HostileScripts.MAX_ID;
import static io.tally.processor.badinput.HostileScripts.PART;
import static io.tally.processor.badinput.HostileScripts.fields;
import static io.tally.testkit.RawRedis.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The trigger scripts (time_fire, trigger_create, trigger_cancel, triggers_retention) on keys that some
 * other program wrote: a key of another type, a count or fireCount that is no number, a definition that
 * does not decode, a firings stream out of ids. Each completes or writes nothing (Redis keeps the writes
 * of a script that raises), and says why when it writes nothing.
 */
class TriggerScriptsOnForeignStateTest {
    /** A redis-server of the class's own, the partition emptied before each test. */
    @RegisterExtension
    static final HostileScripts h = new HostileScripts();

    private static List<?> list(Object reply) {
        assertThat(reply).as("script reply").isInstanceOf(List.class);
        return (List<?>) reply;
    }

    private String triggerField(String field) {
        return text(h.redis.call("HGET", h.keys.triggers(PART), field));
    }

    private List<String> createKeys() {
        List<String> keys = new ArrayList<>(h.triggerKeys());
        keys.add(h.keys.counters(PART));
        return keys;
    }

    private Object createTimeTrigger(String id) {
        return h.runAtomically("trigger_create", createKeys(), id, "time", "{\"kind\":\"time\",\"at\":1}", "", "", "",
                "1", "", "100");
    }

    private Object createRepeatingTimeTrigger(String id, long every) {
        return h.runAtomically("trigger_create", createKeys(), id, "time",
                "{\"kind\":\"time\",\"at\":1,\"every\":" + every + "}", "", "", "", "1", Long.toString(every), "100");
    }

    private Object retainFinished() {
        return h.runAtomically("triggers_retention", List.of(h.keys.lease(PART), h.keys.triggers(PART),
                h.keys.schedule(PART), h.keys.triggersByEvent(PART), h.keys.triggersByCounter(PART)), LEASE, 1000, "0", 100);
    }

    // ---------- time_fire.lua ----------

    @Test
    void aOnceTimeTriggerWhoseFiringCannotBeWritten_staysScheduledAndActive_andTheReplySaysWhy() {
        h.xadd(h.keys.firings(PART), MAX_ID, fields("x", "y")); // every later 'XADD firings *' fails
        h.redis.call("HSET", h.keys.triggers(PART), "A", "{\"kind\":\"time\",\"mode\":\"once\"}", "A:status", "active");
        h.redis.call("ZADD", h.keys.schedule(PART), "1", "A");
        Map<String, String> before = h.partitionDump();

        List<?> reply = list(h.runAtomically("time_fire", h.timeFireKeys(), LEASE, 10));

        assertThat(text(reply.get(0))).isEqualTo("BLOCKED");
        assertThat(text(reply.get(1))).contains(h.keys.firings(PART)).contains("more entries");
        assertThat(h.partitionDump()).as("nothing written").isEqualTo(before);
        assertThat(triggerField("A:status")).isEqualTo("active");
        assertThat(h.redis.call("ZSCORE", h.keys.schedule(PART), "A")).isNotNull();
    }

    @Test
    void aFiringsKeyOfAnotherType_blocksTheFirings_andWritesNothing() {
        h.redis.call("SET", h.keys.firings(PART), "not a stream");
        h.redis.call("HSET", h.keys.triggers(PART), "A", "{\"kind\":\"time\",\"every\":1000}", "A:status", "active");
        h.redis.call("ZADD", h.keys.schedule(PART), "1", "A");
        Map<String, String> before = h.partitionDump();

        List<?> reply = list(h.runAtomically("time_fire", h.timeFireKeys(), LEASE, 10));

        assertThat(text(reply.get(0))).isEqualTo("BLOCKED");
        assertThat(text(reply.get(1))).contains("not a stream");
        assertThat(h.partitionDump()).as("nothing written").isEqualTo(before);
    }

    @Test
    void aScheduleOfAnotherType_blocksTheFirings_withAReplyNotAnError() {
        h.redis.call("SET", h.keys.schedule(PART), "x");
        List<?> reply = list(h.runAtomically("time_fire", h.timeFireKeys(), LEASE, 10));
        assertThat(text(reply.get(0))).isEqualTo("BLOCKED");
        assertThat(text(reply.get(1))).contains("WRONGTYPE");
    }

    @Test
    void aFireCountThatIsNoNumber_countsAsZero_andTheTriggerFiresOnce() {
        h.redis.call("HSET", h.keys.triggers(PART), "A", "{\"kind\":\"time\"}", "A:status", "active", "A:fireCount", "x");
        h.redis.call("ZADD", h.keys.schedule(PART), "1", "A");

        List<?> reply = list(h.runAtomically("time_fire", h.timeFireKeys(), LEASE, 10));

        assertThat(text(reply.get(1))).as("fired").isEqualTo("1");
        assertThat(h.redis.call("XLEN", h.keys.firings(PART))).isEqualTo(1L);
        assertThat(triggerField("A:fireCount")).isEqualTo("1");
        assertThat(triggerField("A:status")).isEqualTo("fired");
        assertThat(triggerField("A:lastFiredAt")).isNotNull();
        assertThat(h.redis.call("ZCARD", h.keys.schedule(PART))).isEqualTo(0L);
    }

    @Test
    void aFireCountIsIncremented() {
        h.redis.call("HSET", h.keys.triggers(PART), "A", "{\"kind\":\"time\",\"every\":1000}", "A:status", "active",
                "A:fireCount", "41");
        h.redis.call("ZADD", h.keys.schedule(PART), "1", "A");
        list(h.runAtomically("time_fire", h.timeFireKeys(), LEASE, 10));
        assertThat(triggerField("A:fireCount")).isEqualTo("42");
        assertThat(triggerField("A:status")).isEqualTo("active");
    }

    @Test
    void aDueTimeBelowZero_isTakenOffTheSchedule_withoutFiring() {
        // the trigger API schedules at >= 0 only; a lateness of 10^300 ms is no number the processor reads
        h.redis.call("HSET", h.keys.triggers(PART), "A", "{\"kind\":\"time\"}", "A:status", "active");
        h.redis.call("ZADD", h.keys.schedule(PART), "-1e300", "A");

        List<?> reply = list(h.runAtomically("time_fire", h.timeFireKeys(), LEASE, 10));

        assertThat(reply).hasSize(2);
        assertThat(text(reply.get(1))).as("fired").isEqualTo("0");
        assertThat(h.redis.call("EXISTS", h.keys.firings(PART))).isEqualTo(0L);
        assertThat(h.redis.call("ZCARD", h.keys.schedule(PART))).isEqualTo(0L);
    }

    // ---------- trigger_create.lua ----------

    @Test
    void createWithACountThatIsNoNumber_isRefused_andWritesNothing() {
        h.redis.call("HSET", h.keys.triggers(PART), ":count", "x");
        Object reply = createTimeTrigger("N");
        assertThat(reply).isInstanceOf(RawRedis.Error.class);
        assertThat(((RawRedis.Error) reply).message()).contains(":count");
        assertThat(triggerField("N:status")).as("a trigger whose create failed").isNull();
    }

    @Test
    void createOfATimeTriggerWithAScheduleOfAnotherType_isRefused_andWritesNothing() {
        h.redis.call("SET", h.keys.schedule(PART), "x");
        Object reply = createTimeTrigger("N");
        assertThat(reply).isInstanceOf(RawRedis.Error.class);
        assertThat(((RawRedis.Error) reply).message()).contains("holds no sorted set");
        assertThat(triggerField("N")).isNull();
        assertThat(triggerField(":count")).isNull();
    }

    @Test
    void createOfAThresholdTriggerOnACounterThatIsNoNumber_judgesItAsZero() {
        h.redis.call("HSET", h.keys.counters(PART), "c", "abc");
        List<?> reply = list(h.runAtomically("trigger_create", createKeys(), "N", "threshold",
                "{\"kind\":\"threshold\",\"counter\":\"c\",\"op\":\">=\",\"value\":5}", "c", ">=", "5", "", "", "100"));
        assertThat(text(reply.get(0))).isEqualTo("OK");
        assertThat(text(reply.get(2))).as("armed: 0 >= 5 is false").isEqualTo("1");
        assertThat(text(h.redis.call("HGET", h.keys.triggersByCounter(PART), "c"))).isEqualTo("N");
        assertThat(triggerField(":count")).isEqualTo("1");
    }

    @Test
    void createOfARepeatingTimeTrigger_addsItsFiringsASecondInMillionths_andAOnceOneAddsNothing() {
        assertThat(text(list(createRepeatingTimeTrigger("A", 100)).get(0))).isEqualTo("OK");
        assertThat(triggerField(":time-rate")).as("10 a second").isEqualTo("10000000");
        assertThat(text(list(createRepeatingTimeTrigger("B", 3000)).get(0))).isEqualTo("OK");
        assertThat(triggerField(":time-rate")).as("plus 1/3, rounded up").isEqualTo("10333334");
        assertThat(text(list(createTimeTrigger("C")).get(0))).isEqualTo("OK");
        assertThat(triggerField(":time-rate")).isEqualTo("10333334");
    }

    @Test
    void createOfARepeatingTimeTriggerWithARateThatIsNoCount_isRefused_andWritesNothing() {
        for (String foreign : List.of("x", "-5", "007", "1e3", " 7", "1234567890123456789", "")) {
            h.redis.call("HSET", h.keys.triggers(PART), ":time-rate", foreign);
            Object reply = createRepeatingTimeTrigger("N", 100);
            assertThat(reply).as("':time-rate' = '%s'", foreign).isInstanceOf(RawRedis.Error.class);
            assertThat(((RawRedis.Error) reply).message()).contains(":time-rate").contains("nothing was written");
            assertThat(triggerField("N")).isNull();
            assertThat(triggerField(":time-rate")).isEqualTo(foreign);
        }
        assertThat(text(list(createTimeTrigger("O")).get(0))).as("a once trigger does not read it").isEqualTo("OK");
    }

    // ---------- trigger_cancel.lua ----------

    @Test
    void cancelOfARepeatingTimeTrigger_givesItsShareBack_neverBelowZero() {
        createRepeatingTimeTrigger("A", 100);
        createRepeatingTimeTrigger("B", 1000);
        assertThat(text(list(h.runAtomically("trigger_cancel", h.triggerKeys(), "A")).get(0))).isEqualTo("OK");
        assertThat(triggerField(":time-rate")).isEqualTo("1000000");
        h.redis.call("HSET", h.keys.triggers(PART), ":time-rate", "5");
        assertThat(text(list(h.runAtomically("trigger_cancel", h.triggerKeys(), "B")).get(0))).isEqualTo("OK");
        assertThat(triggerField(":time-rate")).isEqualTo("0");
        assertThat(triggerField("B:status")).isEqualTo("canceled");
    }

    /** Before, a cancel gave back ceil(1e9 / every) whether or not the create had added it. */
    @Test
    void cancelOfARepeatingTimeTriggerStoredWithoutAShare_givesNothingBack() {
        h.redis.call("HSET", h.keys.triggers(PART), "OLD", "{\"kind\":\"time\",\"every\":100}", "OLD:status", "active");
        createRepeatingTimeTrigger("B", 100);
        assertThat(triggerField("B:rate")).isEqualTo("10000000");
        assertThat(text(list(h.runAtomically("trigger_cancel", h.triggerKeys(), "OLD")).get(0))).isEqualTo("OK");
        assertThat(triggerField(":time-rate")).as("B's share stays").isEqualTo("10000000");
        assertThat(text(list(h.runAtomically("trigger_cancel", h.triggerKeys(), "B")).get(0))).isEqualTo("OK");
        assertThat(triggerField(":time-rate")).isEqualTo("0");
        assertThat(triggerField("B:rate")).as("given back once").isNull();
    }

    @Test
    void cancelWithAShareThatIsNoCount_completes_andLeavesTheSumAsItIs() {
        for (String foreign : List.of("x", "-5", "007", "1e3", "12345678901", "")) {
            h.redis.call("HSET", h.keys.triggers(PART), "A", "{\"kind\":\"time\",\"every\":100}", "A:status", "active",
                    "A:rate", foreign, ":time-rate", "7");
            assertThat(text(list(h.runAtomically("trigger_cancel", h.triggerKeys(), "A")).get(0))).isEqualTo("OK");
            assertThat(triggerField(":time-rate")).as("share '%s'", foreign).isEqualTo("7");
            assertThat(triggerField("A:rate")).isNull();
        }
    }

    @Test
    void cancelWithARateThatIsNoCount_orAPeriodThatIsNoNumber_completes_andLeavesTheRateAsItIs() {
        h.redis.call("HSET", h.keys.triggers(PART), "A", "{\"kind\":\"time\",\"every\":100}", "A:status", "active",
                ":time-rate", "x");
        assertThat(text(list(h.runAtomically("trigger_cancel", h.triggerKeys(), "A")).get(0))).isEqualTo("OK");
        assertThat(triggerField("A:status")).isEqualTo("canceled");
        assertThat(triggerField(":time-rate")).isEqualTo("x");

        List<String> periods = List.of("\"abc\"", "{\"a\":1}", "-5", "0.5", "1e999", "null", "[100]");
        for (int i = 0; i < periods.size(); i++) {
            String id = "P" + i;
            h.redis.call("HSET", h.keys.triggers(PART), id, "{\"kind\":\"time\",\"every\":" + periods.get(i) + "}",
                    id + ":status", "active", ":time-rate", "7");
            assertThat(text(list(h.runAtomically("trigger_cancel", h.triggerKeys(), id)).get(0)))
                    .as("every %s", periods.get(i)).isEqualTo("OK");
            assertThat(triggerField(id + ":status")).isEqualTo("canceled");
            assertThat(triggerField(":time-rate")).as("every %s", periods.get(i)).isEqualTo("7");
        }
    }

    @Test
    void cancelOfATimeTriggerWithAScheduleOfAnotherType_completes() {
        h.redis.call("HSET", h.keys.triggers(PART), "A", "{\"kind\":\"time\"}", "A:status", "active");
        h.redis.call("SET", h.keys.schedule(PART), "x");
        List<?> reply = list(h.runAtomically("trigger_cancel", h.triggerKeys(), "A"));
        assertThat(text(reply.get(0))).isEqualTo("OK");
        assertThat(triggerField("A:status")).isEqualTo("canceled");
        assertThat(text(h.redis.call("GET", h.keys.schedule(PART)))).isEqualTo("x");
    }

    @Test
    void cancelOfAnEventTriggerWithAnIndexOfAnotherType_completes() {
        h.redis.call("HSET", h.keys.triggers(PART), "E", "{\"kind\":\"event\",\"eventType\":\"t\"}", "E:status", "active");
        h.redis.call("SET", h.keys.triggersByEvent(PART), "x");
        List<?> reply = list(h.runAtomically("trigger_cancel", h.triggerKeys(), "E"));
        assertThat(text(reply.get(0))).isEqualTo("OK");
        assertThat(triggerField("E:status")).isEqualTo("canceled");
    }

    // ---------- triggers_retention.lua ----------

    @Test
    void finishedTriggersWhoseDefinitionIsBrokenOrNamesNoEventType_areDeleted() {
        h.redis.call("HSET", h.keys.triggers(PART), "X", "{broken", "X:status", "fired", "X:lastFiredAt", "1",
                "Y", "{\"kind\":\"event\"}", "Y:status", "canceled", "Y:canceledAt", "1",
                "Z", "{\"kind\":\"threshold\",\"counter\":[1]}", "Z:status", "canceled", "Z:canceledAt", "1", ":count", "3");

        List<?> reply = list(retainFinished());

        assertThat(text(reply.get(2))).as("deleted").isEqualTo("3");
        assertThat(h.redis.call("HLEN", h.keys.triggers(PART))).as("only ':count' is left").isEqualTo(1L);
        assertThat(triggerField(":count")).isEqualTo("0");
    }

    @Test
    void aCountThatIsNoNumber_isLeftAsItIs_andFinishedTriggersAreDeleted() {
        h.redis.call("HSET", h.keys.triggers(PART), "X", "{\"kind\":\"time\"}", "X:status", "fired", "X:lastFiredAt", "1",
                ":count", "x");
        List<?> reply = list(retainFinished());
        assertThat(text(reply.get(2))).isEqualTo("1");
        assertThat(triggerField("X")).isNull();
        assertThat(triggerField(":count")).isEqualTo("x");
    }

    @Test
    void aScheduleOrIndexOfAnotherType_isLeftAlone_andFinishedTriggersAreDeleted() {
        h.redis.call("HSET", h.keys.triggers(PART), "X", "{\"kind\":\"time\"}", "X:status", "fired", "X:lastFiredAt", "1",
                "E", "{\"kind\":\"event\",\"eventType\":\"t\"}", "E:status", "canceled", "E:canceledAt", "1");
        h.redis.call("SET", h.keys.schedule(PART), "x");
        h.redis.call("SET", h.keys.triggersByEvent(PART), "y");
        List<?> reply = list(retainFinished());
        assertThat(text(reply.get(2))).isEqualTo("2");
        assertThat(h.redis.call("HLEN", h.keys.triggers(PART))).isEqualTo(0L);
        assertThat(text(h.redis.call("GET", h.keys.schedule(PART)))).isEqualTo("x");
    }
}
