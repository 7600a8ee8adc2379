package io.tally.processor.badinput;

import io.tally.testkit.RawRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.Arrays;
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
 * dlq_replay.lua re-appends the whole original entry or nothing: a dead letter of an entry with more
 * than 1,000 fields carries the first 1,000 as 'f.*' and all of them in 'raw', and is replayed from
 * 'raw'; a letter that cannot be replayed whole (too many fields for one XADD, no readable 'raw') is
 * refused and kept, and so is one whose source stream cannot take an entry.
 */
class DeadLetterReplayWholeEntryTest {
    /** A redis-server of the class's own, the partition emptied before each test. */
    @RegisterExtension
    static final HostileScripts h = new HostileScripts();

    private String ops() {
        return h.keys.ops(PART);
    }

    /** The newest entry's fields (last value of a repeated name), its field count and id. */
    private Map<String, String> newest(String stream) {
        List<?> r = (List<?>) h.redis.call("XREVRANGE", stream, "+", "-", "COUNT", 1);
        List<?> flat = (List<?>) ((List<?>) r.get(0)).get(1);
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < flat.size(); i += 2) {
            m.put(text(flat.get(i)), text(flat.get(i + 1)));
        }
        m.put("#fields", Integer.toString(flat.size() / 2));
        m.put("#id", text(((List<?>) r.get(0)).get(0)));
        return m;
    }

    /** Applies an ops entry of {@code extra} + 4 fields, the last one 'by' = 5; returns its dead letter. */
    private Map<String, String> deadLetterOfManyFields(int extra) {
        List<byte[]> flat = new ArrayList<>(fields("op", "incr", "counter", "c", "by", "1"));
        for (int i = 0; i < extra; i++) {
            flat.addAll(fields("x" + i, "v"));
        }
        flat.addAll(fields("by", "5"));
        h.xadd(ops(), "*", flat);
        List<?> reply = (List<?>) h.apply(LEASE, ">", "");
        assertThat(text(reply.get(7))).isEqualTo("too_many_fields=1");
        return newest(h.keys.dlq(PART));
    }

    private Object replay(String letterId) {
        return h.runAtomically("dlq_replay", List.of(h.keys.dlq(PART), ops()), letterId, "ops");
    }

    private void assertRefusedAndKept(Object reply, String why) {
        assertThat(reply).isInstanceOf(RawRedis.Error.class);
        assertThat(((RawRedis.Error) reply).message()).contains(why).contains("the letter is kept");
        assertThat(h.redis.call("XLEN", h.keys.dlq(PART))).as("dead letters").isEqualTo(1L);
    }

    @Test
    void aTruncatedDeadLetter_isReplayedWithEveryOriginalField() {
        Map<String, String> letter = deadLetterOfManyFields(997);
        assertThat(letter).containsEntry("truncated", "1001");
        long opsBefore = (Long) h.redis.call("XLEN", ops());

        Object replayed = replay(letter.get("#id"));

        assertThat(replayed).as("the new entry's id").isInstanceOf(byte[].class);
        Map<String, String> entry = newest(ops());
        assertThat(entry.get("#id")).isEqualTo(text(replayed));
        assertThat(entry.get("#fields")).as("fields of the replayed entry").isEqualTo("1001");
        assertThat(entry.get("by")).isEqualTo("5");
        assertThat(h.redis.call("XLEN", ops())).isEqualTo(opsBefore + 1);
        assertThat(h.redis.call("XLEN", h.keys.dlq(PART))).as("the letter, deleted").isEqualTo(0L);
    }

    @Test
    void aLetterOfMoreFieldsThanOneXaddCarries_isRefusedAndKept() {
        Map<String, String> letter = deadLetterOfManyFields(3996); // 4000 fields
        assertThat(letter).containsEntry("truncated", "4000");
        long opsBefore = (Long) h.redis.call("XLEN", ops());

        assertRefusedAndKept(replay(letter.get("#id")), "4000 fields");
        assertThat(h.redis.call("XLEN", ops())).isEqualTo(opsBefore);
    }

    @Test
    void aTruncatedLetterWithoutRaw_isRefusedAndKept() {
        String id = text(h.xadd(h.keys.dlq(PART), "*", fields("reason", "too_many_fields", "source", "ops",
                "f.op", "incr", "f.counter", "c", "truncated", "1001")));
        assertRefusedAndKept(replay(id), "no 'raw'");
        assertThat(h.redis.call("XLEN", ops())).isEqualTo(0L);
    }

    @Test
    void aLetterWhoseRawIsNoListOfStrings_isRefusedAndKept() {
        byte[] nested = new byte[200_003]; // two elements: 200,000 nested one-element arrays around "", then ""
        Arrays.fill(nested, (byte) 0x91);
        nested[0] = (byte) 0x92;
        nested[nested.length - 2] = (byte) 0xa0;
        nested[nested.length - 1] = (byte) 0xa0;
        List<byte[]> raws = List.of(RawRedis.bytes("not msgpack"), new byte[]{(byte) 0x92, (byte) 0xa1, 'a', (byte) 0x01},
                new byte[]{(byte) 0x92, (byte) 0xa1, 'a', (byte) 0xa1, 'b', (byte) 0xa1, 'c'}, nested,
                new byte[]{(byte) 0xdd, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xfe});
        for (byte[] raw : raws) {
            h.reset();
            List<byte[]> letter = new ArrayList<>(fields("reason", "too_many_fields", "source", "ops", "f.op", "incr",
                    "f.counter", "c"));
            letter.add(RawRedis.bytes("raw"));
            letter.add(raw);
            String id = text(h.xadd(h.keys.dlq(PART), "*", letter));
            assertRefusedAndKept(replay(id), "'raw'");
            assertThat(h.redis.call("XLEN", ops())).isEqualTo(0L);
        }
    }

    @Test
    void aSourceStreamOutOfIds_keepsTheLetter() {
        h.xadd(ops(), MAX_ID, fields("op", "incr", "counter", "c"));
        String id = text(h.xadd(h.keys.dlq(PART), "*", fields("reason", "unknown_op", "source", "ops",
                "f.op", "bogus", "f.counter", "c")));
        Object reply = replay(id);
        assertThat(reply).isInstanceOf(RawRedis.Error.class);
        assertThat(((RawRedis.Error) reply).message()).contains("exhausted");
        assertThat(h.redis.call("XLEN", h.keys.dlq(PART))).as("dead letters").isEqualTo(1L);
    }
}
