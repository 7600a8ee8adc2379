package io.tally.processor.badinput;

import io.tally.testkit.RawRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.tally.processor.badinput.HostileScripts.LEASE;
import static io.tally.processor.badinput.HostileScripts.PART;
import static io.tally.testkit.RawRedis.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * time_rate_backfill.lua on a triggers hash holding repeating time triggers stored the way a version before shares
 * were kept stored them (no '&lt;id&gt;:rate', nothing in ':time-rate'): each active one gets the share
 * trigger_create.lua would have given it, once; finished and 'once' triggers get none, and a finished one still
 * holding a share gives it back; a field another program wrote that the share depends on refuses the call, naming
 * it, with nothing written.
 */
class TimeRateBackfillScriptTest {
    @RegisterExtension
    static final HostileScripts h = new HostileScripts();

    private String field(String name) {
        return text(h.redis.call("HGET", h.keys.triggers(PART), name));
    }

    /** A trigger as a version before shares stored it: definition and state fields, no share. */
    private void storeOld(String id, String definition, String status) {
        h.redis.call("HSET", h.keys.triggers(PART), id, definition, id + ":status", status, id + ":fireCount", "0",
                id + ":createdAt", "1700000000000");
    }

    /** A repeating time trigger's definition, short enough (64 bytes at most) that the hash's DUMP keeps its order. */
    private static String repeating(String id, long every) {
        return "{\"id\":\"" + id + "\",\"kind\":\"time\",\"at\":1,\"every\":" + every + "}";
    }

    private Object backfill(String cursor, Object count) {
        return h.runAtomically("time_rate_backfill", List.of(h.keys.lease(PART), h.keys.triggers(PART)), LEASE, cursor,
                count);
    }

    private static List<?> list(Object reply) {
        assertThat(reply).as("script reply").isInstanceOf(List.class);
        return (List<?>) reply;
    }

    /** A reply's triggers given a share and shares given back. */
    private static List<Object> counts(List<?> reply) {
        return List.of(reply.get(2), reply.get(3));
    }

    private Object createRepeating(String id, long every) {
        List<String> keys = new ArrayList<>(h.triggerKeys());
        keys.add(h.keys.counters(PART));
        return h.runAtomically("trigger_create", keys, id, "time", repeating(id, every), "", "", "", "1",
                Long.toString(every), "100");
    }

    @Test
    void activeRepeatingTimeTriggersStoredWithoutAShare_areCounted_once_asTheCreateScriptWouldHave() {
        assertThat(text(list(createRepeating("NEW", 100)).get(0))).isEqualTo("OK");
        storeOld("A", repeating("A", 100), "active");
        storeOld("B", repeating("B", 3000), "active");
        storeOld("C", "{\"id\":\"C\",\"kind\":\"time\",\"mode\":\"once\",\"at\":1}", "active");
        storeOld("D", repeating("D", 100), "canceled");
        storeOld("E", "{\"id\":\"E\",\"kind\":\"event\",\"eventType\":\"click\"}", "active");
        storeOld("F", "{\"id\":\"F\",\"kind\":\"time\",\"at\":1,\"every\":null}", "active");

        List<?> reply = list(backfill("0", 100));

        assertThat(text(reply.get(0))).isEqualTo("OK");
        assertThat(text(reply.get(1))).as("a small hash is one page").isEqualTo("0");
        assertThat(reply.get(2)).as("triggers given a share").isEqualTo(2L);
        assertThat(field("A:rate")).isEqualTo("10000000");
        assertThat(field("B:rate")).as("1/3 a second, rounded up as the create script does").isEqualTo("333334");
        assertThat(field(":time-rate")).isEqualTo(String.valueOf(10_000_000 + 10_000_000 + 333_334));
        for (String none : List.of("C", "E", "F")) {
            assertThat(field(none + ":rate")).as("%s adds no firings: a share of 0", none).isEqualTo("0");
        }
        assertThat(field("D:rate")).as("a finished trigger gets none").isNull();

        Map<String, String> once = h.partitionDump();
        long hgets = hgetCalls();
        assertThat(list(backfill("0", 100)).get(2)).as("a second pass counts nothing").isEqualTo(0L);
        assertThat(h.partitionDump()).isEqualTo(once);
        assertThat(hgetCalls()).as("a second pass reads no definition").isEqualTo(hgets);

        assertThat(text(list(h.runAtomically("trigger_cancel", h.triggerKeys(), "A")).get(0))).isEqualTo("OK");
        assertThat(field(":time-rate")).as("the cancel gives A's share back").isEqualTo("10333334");
        assertThat(list(backfill("0", 100)).get(2)).as("a canceled trigger gets none again").isEqualTo(0L);
        assertThat(field(":time-rate")).isEqualTo("10333334");
    }

    private long hgetCalls() {
        String stats = text(h.redis.call("INFO", "commandstats"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("cmdstat_hget:calls=(\\d+)").matcher(stats);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** Retention that deletes such a trigger before a backfill pass reaches it gives its share back too. */
    @Test
    void retentionDeletingAFinishedTriggerThatStillHoldsAShare_givesItBack_neverBelowZero() {
        storeOld("A", repeating("A", 100), "active");
        storeOld("B", repeating("B", 3000), "active");
        backfill("0", 100);
        // canceled by an older version, which knows no shares, long enough ago for retention
        h.redis.call("HSET", h.keys.triggers(PART), "A:status", "canceled", "A:canceledAt", "1");

        List<?> reply = list(h.runAtomically("triggers_retention", List.of(h.keys.lease(PART), h.keys.triggers(PART),
                h.keys.schedule(PART), h.keys.triggersByEvent(PART), h.keys.triggersByCounter(PART)), LEASE, 1000, "0", 100));

        assertThat(reply.get(2)).as("deleted").isEqualTo(1L);
        assertThat(field("A")).isNull();
        assertThat(field(":time-rate")).as("B's share is left").isEqualTo("333334");

        h.redis.call("HSET", h.keys.triggers(PART), "B:status", "canceled", "B:canceledAt", "1", ":time-rate", "5");
        list(h.runAtomically("triggers_retention", List.of(h.keys.lease(PART), h.keys.triggers(PART),
                h.keys.schedule(PART), h.keys.triggersByEvent(PART), h.keys.triggersByCounter(PART)), LEASE, 1000, "0", 100));
        assertThat(field(":time-rate")).as("never below 0").isEqualTo("0");
    }

    /** A cancel of an older version finishes a trigger the backfill gave a share, without giving it back. */
    @Test
    void aFinishedTriggerStillHoldingAShare_givesItBack_once_neverBelowZero_andAShareThatIsNoCountStays() {
        storeOld("A", repeating("A", 100), "active");
        storeOld("B", repeating("B", 3000), "active");
        backfill("0", 100);
        assertThat(field(":time-rate")).isEqualTo("10333334");
        h.redis.call("HSET", h.keys.triggers(PART), "A:status", "canceled", "A:canceledAt", "1700000000001");

        List<?> reply = list(backfill("0", 100));

        assertThat(counts(reply)).as("given a share, given back").containsExactly(0L, 1L);
        assertThat(field(":time-rate")).isEqualTo("333334");
        assertThat(field("A:rate")).isNull();
        assertThat(counts(list(backfill("0", 100)))).as("once").containsExactly(0L, 0L);
        assertThat(field(":time-rate")).isEqualTo("333334");

        h.redis.call("HSET", h.keys.triggers(PART), "B:status", "canceled", ":time-rate", "5");
        assertThat(list(backfill("0", 100)).get(3)).isEqualTo(1L);
        assertThat(field(":time-rate")).as("never below 0").isEqualTo("0");

        storeOld("C", repeating("C", 100), "canceled");
        h.redis.call("HSET", h.keys.triggers(PART), "C:rate", "x", ":time-rate", "7");
        assertThat(counts(list(backfill("0", 100)))).containsExactly(0L, 0L);
        assertThat(field("C:rate")).isEqualTo("x");
        assertThat(field(":time-rate")).isEqualTo("7");
    }

    @Test
    void aHashOfManyPages_isWalkedInBoundedCalls_eachTriggerCountedOnce() {
        for (int i = 0; i < 400; i++) {
            storeOld("T" + i, repeating("T" + i, 1000), "active");
        }
        String cursor = "0";
        long counted = 0;
        int calls = 0;
        do {
            List<?> reply = list(backfill(cursor, 50));
            long n = (Long) reply.get(2);
            assertThat(n).as("one call's triggers").isLessThan(100);
            counted += n;
            cursor = text(reply.get(1));
            calls++;
        } while (!cursor.equals("0"));

        assertThat(calls).isGreaterThan(10);
        assertThat(counted).isEqualTo(400);
        assertThat(field(":time-rate")).isEqualTo(String.valueOf(400L * 1_000_000));
    }

    @Test
    void aDefinitionOrAPeriodAnotherProgramWrote_refusesTheCall_namingTheField_andWritesNothing() {
        storeOld("GOOD", repeating("GOOD", 100), "active");
        List<String> definitions = List.of("not json", "[1,2]", "7", "{\"every\":100}",
                "{\"kind\":\"time\",\"every\":\"abc\"}", "{\"kind\":\"time\",\"every\":0}",
                "{\"kind\":\"time\",\"every\":-5}", "{\"kind\":\"time\",\"every\":0.5}",
                "{\"kind\":\"time\",\"every\":1e999}", "{\"kind\":\"time\",\"every\":{\"a\":1}}",
                "{\"kind\":\"time\",\"every\":[100]}");
        for (String definition : definitions) {
            storeOld("BAD\nx", definition, "active");
            Object reply = backfill("0", 100); // runAtomically: an error wrote nothing

            assertThat(reply).as(definition).isInstanceOf(RawRedis.Error.class);
            assertThat(((RawRedis.Error) reply).message()).as(definition)
                    .contains("time_rate_backfill: " + h.keys.triggers(PART) + " field 'BAD?x'")
                    .contains("nothing was written");
            assertThat(field("GOOD:rate")).isNull();
        }
        storeOld("BAD\nx", "not json", "canceled");
        assertThat(list(backfill("0", 100)).get(2)).as("a finished trigger's definition is not read").isEqualTo(1L);
    }

    @Test
    void aStatusWithoutADefinition_isNoTrigger_andCountsNothing() {
        storeOld("A", repeating("A", 100), "active");
        h.redis.call("HSET", h.keys.triggers(PART), "ORPHAN:status", "active");

        List<?> reply = list(backfill("0", 100));

        assertThat(reply.get(2)).isEqualTo(1L);
        assertThat(field(":time-rate")).isEqualTo("10000000");
        assertThat(field("ORPHAN:rate")).isNull();
    }

    @Test
    void aTimeRateAnotherProgramWrote_refusesTheCall_andWritesNothing() {
        storeOld("A", repeating("A", 100), "active");
        for (String foreign : List.of("x", "-5", "007", "1e3", " 7", "1234567890123456789", "")) {
            h.redis.call("HSET", h.keys.triggers(PART), ":time-rate", foreign);
            Object reply = backfill("0", 100);

            assertThat(reply).as("':time-rate' = '%s'", foreign).isInstanceOf(RawRedis.Error.class);
            assertThat(((RawRedis.Error) reply).message()).contains("field ':time-rate'").contains("nothing was written");
            assertThat(field(":time-rate")).isEqualTo(foreign);
        }
        h.redis.call("HSET", h.keys.triggers(PART), ":time-rate", "7");
        assertThat(list(backfill("0", 100)).get(2)).isEqualTo(1L);
        assertThat(field(":time-rate")).isEqualTo("10000007");
    }

    @Test
    void withoutTheLease_orWithACountOutOfBounds_nothingIsWritten() {
        storeOld("A", repeating("A", 100), "active");
        h.redis.call("SET", h.keys.lease(PART), "other:1");
        assertThat(text(list(backfill("0", 100)).get(0))).isEqualTo("LEASE_LOST");
        h.redis.call("SET", h.keys.lease(PART), LEASE);
        for (Object count : List.of("0", "10001", "x", "1.5")) {
            Object reply = backfill("0", count);
            assertThat(reply).as("COUNT %s", count).isInstanceOf(RawRedis.Error.class);
            assertThat(((RawRedis.Error) reply).message()).contains("HSCAN COUNT");
        }
        assertThat(field("A:rate")).isNull();
        assertThat(field(":time-rate")).isNull();
    }

    @Test
    void aTriggersKeyOfAnotherType_holdsNothingToCount() {
        h.redis.call("SET", h.keys.triggers(PART), "x");
        List<?> reply = list(backfill("0", 100));
        assertThat(text(reply.get(1))).isEqualTo("0");
        assertThat(reply.get(2)).isEqualTo(0L);
    }

    @Test
    void aUserDeniedTheSumsCommand_isRefusedBeforeTheFirstWrite() {
        storeOld("A", repeating("A", 100), "active");
        h.redis.call("ACL", "SETUSER", "nohincrby", "on", "nopass", "~*", "+@all", "-hincrby");
        try {
            h.redis.call("AUTH", "nohincrby", "x");
            Object reply = backfill("0", 100);
            assertThat(reply).isInstanceOf(RawRedis.Error.class);
            assertThat(((RawRedis.Error) reply).message()).startsWith("NOPERM this user may not run the 'hincrby' "
                    + "command on '" + h.keys.triggers(PART) + "', which time_rate_backfill.lua needs");
        } finally {
            h.redis.call("AUTH", "default", "x");
        }
        assertThat(field("A:rate")).isNull();
    }
}
