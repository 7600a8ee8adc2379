package io.tally.producer.internal;

import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.model.InvalidEntryException;
import io.tally.common.internal.wire.WireCodec;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EntryEncoderTest {

    @Test
    void operationsEncodeToWireCodecsFieldsInTheSameOrder() {
        List<CounterOp> ops = List.of(
                CounterOp.incr("c", 1),
                CounterOp.decr("ünïcødé €", 1023).withTs(1_763_881_000_123L),
                CounterOp.incr("c", 1024).withId("order-42").withTs(0),
                CounterOp.set("c", Long.MIN_VALUE),
                CounterOp.set("c", Long.MAX_VALUE).withId("x"),
                CounterOp.set("c", -1),
                CounterOp.reset("c").withTs(5),
                CounterOp.unique("visitors", "alice").withWindows("1m", "1h"),
                CounterOp.incr("c", 7).withWindows("1d").withId("i").withTs(9));
        for (CounterOp op : ops) {
            assertThat(pairs(EntryEncoder.encode(op))).as(op.toString())
                    .containsExactlyElementsOf(pairs(WireCodec.encode(op)));
        }
    }

    @Test
    void eventsEncodeToWireCodecsFieldsInTheSameOrder() {
        Event event = new Event("signup", Map.of("plan", "pro", "country", "DE", "ref", "ä"), "e-1", 77L);
        assertThat(pairs(EntryEncoder.encode(event))).containsExactlyElementsOf(pairs(WireCodec.encode(event)));
        Event bare = Event.of("ping", Map.of());
        assertThat(pairs(EntryEncoder.encode(bare))).containsExactly("type=ping");
    }

    @Test
    void theRoutingKeysAreTheCounterAndTheEventType() {
        assertThat(utf8(EntryEncoder.encode(CounterOp.incr("paid", 3))[EntryEncoder.OP_ROUTING_KEY])).isEqualTo("paid");
        assertThat(utf8(EntryEncoder.encode(Event.of("signup", Map.of("a", "b")))[EntryEncoder.EVENT_ROUTING_KEY]))
                .isEqualTo("signup");
    }

    @Test
    void invalidInputIsRefusedLikeWireCodecDoes() {
        assertThatThrownBy(() -> EntryEncoder.encode(CounterOp.incr("", 1)))
                .isInstanceOf(InvalidEntryException.class).hasMessageContaining("'counter'");
        assertThatThrownBy(() -> EntryEncoder.encode(CounterOp.set("c", 1).withWindows("1m")))
                .isInstanceOf(InvalidEntryException.class).hasMessageContaining("windows");
        assertThatThrownBy(() -> EntryEncoder.encode(CounterOp.incr("a\u007fb", 1)))
                .isInstanceOf(InvalidEntryException.class).hasMessageContaining("U+007F");
        assertThatThrownBy(() -> EntryEncoder.encode(CounterOp.incr("a\tb", 1)))
                .isInstanceOf(InvalidEntryException.class).hasMessageContaining("U+0009");
        assertThatThrownBy(() -> EntryEncoder.encode(CounterOp.incr("c".repeat(201), 1)))
                .isInstanceOf(InvalidEntryException.class).hasMessageContaining("201 bytes");
        assertThatThrownBy(() -> EntryEncoder.encode(CounterOp.incr("c", 1).withId("")))
                .isInstanceOf(InvalidEntryException.class).hasMessageContaining("'id'");
        assertThatThrownBy(() -> EntryEncoder.encode(CounterOp.incr("c", 1).withId("a\ud800")))
                .isInstanceOf(InvalidEntryException.class).hasMessageContaining("surrogate");
        assertThatThrownBy(() -> EntryEncoder.encode(new CounterOp(io.tally.common.model.OpKind.INCR, "c", 1, null, null,
                "m", List.of()))).isInstanceOf(InvalidEntryException.class).hasMessageContaining("member");
        assertThat(EntryEncoder.encode(CounterOp.incr("c".repeat(200), 1).withId("~ !")).length).isEqualTo(8);
    }

    @Test
    void theIdFieldIsFoundForTheDedupeKey() {
        assertThat(utf8(EntryEncoder.id(EntryEncoder.encode(CounterOp.incr("c", 1).withId("order-1").withTs(3)))))
                .isEqualTo("order-1");
        assertThat(EntryEncoder.id(EntryEncoder.encode(CounterOp.incr("c", 1).withTs(3)))).isNull();
        assertThat(utf8(EntryEncoder.id(EntryEncoder.encode(new Event("t", Map.of("id", "param"), "ev", null)))))
                .isEqualTo("ev");
    }

    @Test
    void numbersAreTheirDecimalForm() {
        for (long v : new long[]{0, 9, 10, 99, 100, 1023, 1024, 9999, 10_000, -1, -10, 123_456_789_012L, 999_999_999_999_999_999L,
                1_000_000_000_000_000_000L, Long.MAX_VALUE, -Long.MAX_VALUE, Long.MIN_VALUE}) {
            assertThat(utf8(Ascii.ofLong(v))).isEqualTo(Long.toString(v));
        }
    }

    private static List<String> pairs(byte[][] fields) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < fields.length; i += 2) {
            out.add(utf8(fields[i]) + "=" + utf8(fields[i + 1]));
        }
        return out;
    }

    private static List<String> pairs(Map<String, String> fields) {
        List<String> out = new ArrayList<>();
        fields.forEach((k, v) -> out.add(k + "=" + v));
        return out;
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
