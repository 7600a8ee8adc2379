package io.tally.processor.badinput;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.StringJoiner;

import static io.tally.processor.badinput.HostileScripts.LEASE;
import static io.tally.processor.badinput.HostileScripts.PART;
import static io.tally.processor.badinput.HostileScripts.fields;
import static io.tally.testkit.RawRedis.text;
import static org.assertj.core.api.Assertions.assertThat;

/** apply.lua's trigger budget (MORE:triggers) cuts a batch: every entry applied once, counted once. */
class TriggerBudgetCutTest {
    @RegisterExtension
    static final HostileScripts h = new HostileScripts();

    /** An index entry listing n trigger ids (none stored: the budget counts the index list). */
    private static String ids(int n) {
        StringJoiner j = new StringJoiner(" ");
        for (int i = 0; i < n; i++) {
            j.add("T" + i);
        }
        return j.toString();
    }

    private static String at(Object reply, int i) {
        return text(((List<?>) reply).get(i));
    }

    /** Events fields of the reply: state 9, read 10, applied 11, redelivered 12, deleted 13, last 14. */
    @Test
    void aDeletedPendingEntryAfterTheCut_isReportedLostOnce() {
        h.redis.call("HSET", h.keys.triggersByEvent(PART), "a", ids(1000), "b", ids(1));
        String e1 = text(h.xadd(h.keys.events(PART), "*", fields("type", "a")));
        h.xadd(h.keys.events(PART), "*", fields("type", "b"));
        String e3 = text(h.xadd(h.keys.events(PART), "*", fields("type", "c")));
        h.redis.call("XREADGROUP", "GROUP", "tally", LEASE, "COUNT", "10", "STREAMS", h.keys.events(PART), ">");
        h.redis.call("XDEL", h.keys.events(PART), e3);

        Object first = h.apply(LEASE, "", "0-0");
        assertThat(at(first, 9)).isEqualTo("MORE:triggers");
        assertThat(at(first, 11)).isEqualTo("1");
        assertThat(at(first, 14)).isEqualTo(e1);
        Object second = h.apply(LEASE, "", e1);
        assertThat(at(second, 11)).isEqualTo("1");
        int lost = Integer.parseInt(at(first, 13)) + Integer.parseInt(at(second, 13));
        assertThat(lost).as("one deleted pending entry, reported lost by both calls").isEqualTo(1);
    }

    @Test
    void bothStreamsCut_withSkippedAndDeadEntries_applyEachEntryOnce() {
        h.redis.call("HSET", h.keys.triggersByCounter(PART), "c1", ids(1000), "c2", ids(1));
        h.redis.call("HSET", h.keys.triggersByEvent(PART), "a", ids(1000), "b", ids(1));
        h.redis.call("HSET", h.keys.checkpoint(PART), "ops", "1-1");
        String ops = h.keys.ops(PART);
        h.xadd(ops, "1-1", fields("op", "incr", "counter", "c9"));
        h.xadd(ops, "1-2", fields("op", "bogus", "counter", "c9"));
        h.xadd(ops, "1-3", fields("op", "incr", "counter", "c1"));
        h.xadd(ops, "1-4", fields("op", "incr", "counter", "c2"));
        h.xadd(ops, "1-5", fields("op", "bogus", "counter", "c9"));
        h.xadd(ops, "1-6", fields("op", "incr", "counter", "c3"));
        String events = h.keys.events(PART);
        h.xadd(events, "1-1", fields("type", "a"));
        h.xadd(events, "1-2", fields("type", "b"));
        h.xadd(events, "1-3", fields("type", "c"));

        Object first = h.apply(LEASE, ">", ">");
        assertThat(List.of(at(first, 1), at(first, 2), at(first, 3), at(first, 4), at(first, 6)))
                .containsExactly("MORE:triggers", "3", "2", "1", "1-3");
        assertThat(List.of(at(first, 9), at(first, 10), at(first, 11), at(first, 14)))
                .containsExactly("MORE:triggers", "1", "1", "1-1");
        Object second = h.apply(LEASE, "1-3", "1-1");
        assertThat(List.of(at(second, 1), at(second, 2), at(second, 3), at(second, 6)))
                .containsExactly("OK", "3", "3", "1-6");
        assertThat(List.of(at(second, 9), at(second, 10), at(second, 11), at(second, 14)))
                .containsExactly("OK", "2", "2", "1-3");
        Object third = h.apply(LEASE, "1-6", "1-3");
        assertThat(List.of(at(third, 2), at(third, 10))).containsExactly("0", "0");
        for (String c : List.of("c1", "c2", "c3")) {
            assertThat(text(h.redis.call("HGET", h.keys.counters(PART), c))).as(c).isEqualTo("1");
        }
        assertThat(h.redis.call("HGET", h.keys.counters(PART), "c9")).isNull();
        assertThat(h.redis.call("XLEN", h.keys.dlq(PART))).isEqualTo(2L);
        assertThat(text(h.redis.call("HGET", h.keys.checkpoint(PART), "ops"))).isEqualTo("1-6");
        assertThat(text(h.redis.call("HGET", h.keys.checkpoint(PART), "events"))).isEqualTo("1-3");
        for (String s : List.of(ops, events)) {
            assertThat(((List<?>) h.redis.call("XPENDING", s, "tally")).get(0)).as(s + " pending").isEqualTo(0L);
        }
    }
}
