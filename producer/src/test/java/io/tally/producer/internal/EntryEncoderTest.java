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
    void entriesOfOneShape_shareOneNamesArray_holdingTheirFieldNames() {
        List<CounterOp> ops = new ArrayList<>();
        for (CounterOp base : List.of(CounterOp.incr("c", 1), CounterOp.decr("c", 2).withWindows("1m"), CounterOp.set("c", 3),
                CounterOp.reset("c"), CounterOp.unique("c", "m"), CounterOp.unique("c", "m").withWindows("1h", "1d"))) {
            ops.add(base);
            ops.add(base.withId("i"));
            ops.add(base.withTs(5));
            ops.add(base.withId("i").withTs(5));
        }
        for (CounterOp op : ops) {
            byte[][] fields = EntryEncoder.encode(op);
            byte[][] names = EntryEncoder.names(StreamKeys.OPS, fields);
            assertThat(names).as(op.toString()).isEqualTo(evenEntries(fields));
            // another counter, amount, id and time of the same shape: the same array
            CounterOp other = new CounterOp(op.kind(), "other", 99, op.id() == null ? null : "j",
                    op.ts() == null ? null : 6L, op.member() == null ? null : "n", op.windows());
            assertThat(EntryEncoder.names(StreamKeys.OPS, EntryEncoder.encode(other))).as(op.toString()).isSameAs(names);
        }
        assertThat(ops.stream().map(op -> EntryEncoder.names(StreamKeys.OPS, EntryEncoder.encode(op))).distinct()).hasSize(24);
        Event bare = new Event("ping", Map.of(), "e", 1L);
        assertThat(EntryEncoder.names(StreamKeys.EVENTS, EntryEncoder.encode(bare)))
                .isSameAs(EntryEncoder.names(StreamKeys.EVENTS, EntryEncoder.encode(new Event("pong", Map.of(), "f", 2L))))
                .isEqualTo(evenEntries(EntryEncoder.encode(bare)));
        // parameters give an event names of its own, "p.id" is not its id
        byte[][] withParams = EntryEncoder.encode(new Event("click", Map.of("id", "1"), null, 3L));
        assertThat(EntryEncoder.names(StreamKeys.EVENTS, withParams)).isEqualTo(evenEntries(withParams))
                .isNotSameAs(EntryEncoder.names(StreamKeys.EVENTS, withParams));
        assertThat(EntryEncoder.idIndex(EntryEncoder.names(StreamKeys.EVENTS, withParams))).isEqualTo(-1);
    }

    @Test
    void aQueuedSend_readsItsIdAndRoutingKeyBackFromItsPackedValues() {
        PendingSend op = new PendingSend(0, StreamKeys.OPS,
                EntryEncoder.encode(CounterOp.unique("visitors", "m".repeat(200)).withWindows("1m").withId("order-7").withTs(4)),
                new byte[]{1});
        assertThat(utf8(op.id())).isEqualTo("order-7");
        assertThat(utf8(op.routingKey())).isEqualTo("visitors");
        PendingSend event = new PendingSend(0, StreamKeys.EVENTS,
                EntryEncoder.encode(new Event("signup", Map.of("plan", "x".repeat(70_000 / 3)), "e-1", null)), new byte[]{1});
        assertThat(utf8(event.id())).isEqualTo("e-1");
        assertThat(utf8(event.routingKey())).isEqualTo("signup");
        PendingSend plain = new PendingSend(0, StreamKeys.OPS, EntryEncoder.encode(CounterOp.incr("c", 1)), null);
        assertThat(plain.id()).isNull();
        assertThat(utf8(plain.routingKey())).isEqualTo("c");
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

    private static byte[][] evenEntries(byte[][] fields) {
        byte[][] names = new byte[fields.length / 2][];
        for (int i = 0; i < names.length; i++) {
            names[i] = fields[2 * i];
        }
        return names;
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
