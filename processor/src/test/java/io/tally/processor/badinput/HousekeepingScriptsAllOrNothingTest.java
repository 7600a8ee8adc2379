package io.tally.processor.badinput;

import io.tally.common.internal.keys.Keys;
import io.tally.testkit.RawRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;

import static io.tally.processor.badinput.HostileScripts.MAX_ID;
import static io.tally.processor.badinput.HostileScripts.PART;
import static io.tally.processor.badinput.HostileScripts.fields;
import static io.tally.testkit.RawRedis.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scripts besides the apply and firing ones (send_batch, ensure_groups,
 * repair_stream_ids, backlog) on keys another program wrote and on arguments of any size: each completes
 * or writes nothing ({@link HostileScripts#runAtomically} compares every key of the partition), a refusal
 * names what was wrong, and an answer stays right.
 */
class HousekeepingScriptsAllOrNothingTest {
    /** A redis-server of the class's own, the partition emptied before each test. */
    @RegisterExtension
    static final HostileScripts h = new HostileScripts();

    private long xlen(String stream) {
        return Long.parseLong(text(h.redis.call("XLEN", stream)));
    }

    // ---------- send_batch.lua ----------

    @Test
    void sendBatch_onAStreamWithIdsForOneMoreEntry_appendsNoneOfTwo() {
        String ops = h.keys.ops(PART);
        h.xadd(ops, "18446744073709551615-18446744073709551614", fields("x", "y"));

        Object reply = h.runAtomically("send_batch", List.of(ops), 60_000, 2, 1, 0, "op", "incr", 1, 0, "op", "incr");

        assertThat(reply).isInstanceOf(RawRedis.Error.class);
        assertThat(((RawRedis.Error) reply).message()).contains(ops).contains("ids for 1 more entries, not 2");
        assertThat(xlen(ops)).isEqualTo(1);
    }

    @Test
    void sendBatch_withADedupeKeyOfAnotherType_appendsNothing_andNamesTheKey() {
        String ops = h.keys.ops(PART);
        String dedupe = h.keys.dedupe(PART, "ops", "c", "id-1");
        h.redis.call("LPUSH", dedupe, "foreign");

        Object reply = h.runAtomically("send_batch", List.of(ops, dedupe), 60_000, 2, 1, 0, "op", "incr", 1, 1, "op", "incr");

        assertThat(reply).isInstanceOf(RawRedis.Error.class);
        assertThat(((RawRedis.Error) reply).message()).contains(dedupe);
        assertThat(xlen(ops)).isZero();
    }

    @Test
    void sendBatch_withAnEntryCountTheArgumentsDoNotHold_appendsNothing() {
        String ops = h.keys.ops(PART);

        Object reply = h.runAtomically("send_batch", List.of(ops), 60_000, 3, 1, 0, "op", "incr", 1, 0, "op", "incr");

        assertThat(reply).isInstanceOf(RawRedis.Error.class);
        assertThat(xlen(ops)).isZero();
    }

    @Test
    void sendBatch_withAWindowSetPxRefuses_appendsNothing() {
        String ops = h.keys.ops(PART);
        String dedupe = h.keys.dedupe(PART, "ops", "c", "id-1");

        Object reply = h.runAtomically("send_batch", List.of(ops, dedupe), "1e3", 1, 1, 1, "op", "incr");

        assertThat(reply).isInstanceOf(RawRedis.Error.class);
        assertThat(((RawRedis.Error) reply).message()).contains("dedupe window 1e3");
        assertThat(xlen(ops)).isZero();
    }

    @Test
    void sendBatch_anEntryOf5000Fields_isRefusedBeforeAnyAppend() {
        String ops = h.keys.ops(PART);
        List<Object> argv = new ArrayList<>(List.of(60_000, 2, 1, 0, "op", "incr", 5000, 0));
        for (int i = 0; i < 5000; i++) {
            argv.add("f" + i);
            argv.add("v");
        }

        Object reply = h.runAtomically("send_batch", List.of(ops), argv.toArray());

        assertThat(reply).isInstanceOf(RawRedis.Error.class);
        assertThat(((RawRedis.Error) reply).message()).contains("5000 fields");
        assertThat(xlen(ops)).isZero();
    }

    @Test
    void sendBatch_aRepeatedOperationIdWithinOneBatch_isStillADuplicateOfItsFirstEntry() {
        String ops = h.keys.ops(PART);
        String dedupe = h.keys.dedupe(PART, "ops", "c", "id-1");

        List<?> reply = (List<?>) h.runAtomically("send_batch", List.of(ops, dedupe, dedupe), 60_000, 2,
                1, 1, "op", "incr", 1, 1, "op", "incr");

        assertThat(text(reply.get(2))).isEqualTo(text(reply.get(0)));
        assertThat(reply.get(1)).isEqualTo(0L);
        assertThat(reply.get(3)).isEqualTo(1L);
        assertThat(text(h.redis.call("GET", dedupe))).isEqualTo(text(reply.get(0)));
        assertThat(xlen(ops)).isEqualTo(1);
    }

    // ---------- ensure_groups.lua ----------

    @Test
    void ensureGroups_withASecondStreamOfAnotherType_createsNoGroup_andNamesTheKey() {
        h.redis.call("FLUSHALL");
        String events = h.keys.events(PART);
        h.redis.call("SET", events, "foreign");

        Object reply = h.runAtomically("ensure_groups", h.keys.inputStreams(PART), Keys.GROUP);

        assertThat(reply).isInstanceOf(RawRedis.Error.class);
        assertThat(((RawRedis.Error) reply).message()).contains(events);
        assertThat(text(h.redis.call("EXISTS", h.keys.ops(PART)))).isEqualTo("0");
    }

    // ---------- backlog.lua ----------

    @Test
    void backlog_ofAGroupWhoseLagAnotherProgramSetNear2To63_staysPositive() {
        String ops = h.keys.ops(PART);
        h.xadd(ops, "5-1", fields("op", "incr"));
        h.redis.call("XREADGROUP", "GROUP", Keys.GROUP, "w", "STREAMS", ops, ">");
        h.redis.call("XSETID", ops, "5-1", "ENTRIESADDED", "9223372036854775807");

        List<?> reply = (List<?>) h.runAtomically("backlog", h.keys.inputStreams(PART));

        assertThat((Long) reply.get(0)).as("lag 2^63 - 2 plus 1 pending").isEqualTo(1L << 62);
        assertThat(reply.get(1)).isEqualTo(0L);
    }

    // ---------- repair_stream_ids.lua ----------

    @Test
    void repairStreamIds_withADlqThatHasIdsForOneOfTwoFutureEntries_movesNone_andSaysWhy() {
        String ops = h.keys.ops(PART);
        h.xadd(ops, "18446744073709551615-1", fields("op", "incr", "counter", "c", "by", "1"));
        h.xadd(ops, "18446744073709551615-2", fields("op", "incr", "counter", "c", "by", "1"));
        h.redis.call("XREADGROUP", "GROUP", Keys.GROUP, "w", "STREAMS", ops, ">");
        h.redis.call("XACK", ops, Keys.GROUP, "18446744073709551615-1", "18446744073709551615-2");
        h.redis.call("HSET", h.keys.checkpoint(PART), "ops", "18446744073709551615-2");
        h.xadd(h.keys.dlq(PART), "18446744073709551615-18446744073709551614", fields("x", "y"));

        Object reply = h.runAtomically("repair_stream_ids", List.of(ops, h.keys.checkpoint(PART), h.keys.dlq(PART)),
                "ops", 60_000, 10, "repair");

        assertThat(reply).isInstanceOf(List.class);
        List<?> r = (List<?>) reply;
        assertThat(text(r.get(0))).isEqualTo("NOROOM");
        assertThat(text(r.get(1))).contains(h.keys.dlq(PART)).contains("ids for 1 more entries, not 2");
        assertThat(xlen(ops)).isEqualTo(2);
        assertThat(xlen(h.keys.dlq(PART))).isEqualTo(1);
    }

    @Test
    void repairStreamIds_withACheckpointThatIsNoStreamId_movesNothing_andSaysWhy() {
        String ops = h.keys.ops(PART);
        h.xadd(ops, MAX_ID, fields("op", "incr", "counter", "c", "by", "1"));
        h.redis.call("HSET", h.keys.checkpoint(PART), "ops", "garbage");

        Object reply = h.runAtomically("repair_stream_ids", List.of(ops, h.keys.checkpoint(PART), h.keys.dlq(PART)),
                "ops", 60_000, 10, "repair");

        assertThat(reply).isInstanceOf(RawRedis.Error.class);
        assertThat(((RawRedis.Error) reply).message()).contains(h.keys.checkpoint(PART) + " field ops holds 'garbage', not a stream id")
                .contains("nothing was changed");
        assertThat(xlen(ops)).isEqualTo(1);
    }

    @Test
    void repairStreamIds_withADlqOfAnotherType_movesNothing_andSaysWhy() {
        String ops = h.keys.ops(PART);
        h.xadd(ops, MAX_ID, fields("op", "incr", "counter", "c", "by", "1"));
        h.redis.call("XREADGROUP", "GROUP", Keys.GROUP, "w", "STREAMS", ops, ">");
        h.redis.call("XACK", ops, Keys.GROUP, MAX_ID);
        h.redis.call("HSET", h.keys.checkpoint(PART), "ops", MAX_ID);
        h.redis.call("SET", h.keys.dlq(PART), "foreign");

        List<?> r = (List<?>) h.runAtomically("repair_stream_ids",
                List.of(ops, h.keys.checkpoint(PART), h.keys.dlq(PART)), "ops", 60_000, 10, "repair");

        assertThat(text(r.get(0))).isEqualTo("NOROOM");
        assertThat(text(r.get(1))).contains(h.keys.dlq(PART)).contains("not a stream");
        assertThat(xlen(ops)).isEqualTo(1);
    }
}
