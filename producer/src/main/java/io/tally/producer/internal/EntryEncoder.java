package io.tally.producer.internal;

import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.model.OpKind;
import io.tally.common.internal.wire.WireCodec;
import io.tally.common.internal.wire.WireFormat;

import java.nio.charset.StandardCharsets;

/**
 * Encodes a send straight into the UTF-8 field names and values of its stream entry, in the order of
 * {@link WireCodec#encode(CounterOp)}, so that the send path builds no map and no per-field string:
 * the arrays go to Redis as they are. Field names are shared constants. Validation is WireCodec's.
 */
final class EntryEncoder {
    /** Index of the counter name's bytes (the routing key) in an operation's fields. */
    static final int OP_ROUTING_KEY = 3;
    /** Index of the event type's bytes (the routing key) in an event's fields. */
    static final int EVENT_ROUTING_KEY = 1;
    private static final byte[] OP = ascii("op");
    private static final byte[] COUNTER = ascii("counter");
    private static final byte[] BY = ascii("by");
    private static final byte[] VALUE = ascii("value");
    private static final byte[] MEMBER = ascii("member");
    private static final byte[] WINDOWS = ascii("windows");
    private static final byte[] ID = ascii("id");
    private static final byte[] TS = ascii("ts");
    private static final byte[] TYPE = ascii("type");
    private static final byte[][] OP_NAMES = new byte[OpKind.values().length][];

    static {
        for (OpKind kind : OpKind.values()) {
            OP_NAMES[kind.ordinal()] = ascii(kind.wireName());
        }
    }

    private EntryEncoder() {
    }

    /** Field name, value, name, value, ... of an operation's entry. */
    static byte[][] encode(CounterOp op) {
        if (!plainAscii(op)) {
            WireCodec.validate(op);
        }
        int size = 4 + (op.kind() == OpKind.RESET ? 0 : 2) + (op.windows().isEmpty() ? 0 : 2)
                + (op.id() == null ? 0 : 2) + (op.ts() == null ? 0 : 2);
        byte[][] fields = new byte[size][];
        int at = 0;
        fields[at++] = OP;
        fields[at++] = OP_NAMES[op.kind().ordinal()];
        fields[at++] = COUNTER;
        fields[at++] = utf8(op.counter());
        switch (op.kind()) {
            case INCR, DECR -> {
                fields[at++] = BY;
                fields[at++] = Ascii.ofLong(op.amount());
            }
            case SET -> {
                fields[at++] = VALUE;
                fields[at++] = Ascii.ofLong(op.amount());
            }
            case UNIQUE -> {
                fields[at++] = MEMBER;
                fields[at++] = utf8(op.member());
            }
            case RESET -> { }
        }
        if (!op.windows().isEmpty()) {
            fields[at++] = WINDOWS;
            fields[at++] = utf8(String.join(",", op.windows()));
        }
        putOptional(fields, at, op.id(), op.ts());
        return fields;
    }

    /** Field name, value, name, value, ... of an event's entry. */
    static byte[][] encode(Event event) {
        WireCodec.validate(event);
        int size = 2 + (event.id() == null ? 0 : 2) + (event.ts() == null ? 0 : 2) + 2 * event.params().size();
        byte[][] fields = new byte[size][];
        fields[0] = TYPE;
        fields[1] = utf8(event.type());
        int[] at = {putOptional(fields, 2, event.id(), event.ts())};
        event.params().forEach((name, value) -> {
            fields[at[0]++] = utf8(WireCodec.PARAM_PREFIX + name);
            fields[at[0]++] = utf8(value);
        });
        return fields;
    }

    /**
     * True for the common operation that {@link WireCodec#validate(CounterOp)} accepts without a
     * closer look (no member, no windows, counter and id of 1-200 printable ASCII characters), so the
     * send path skips its UTF-8 encoding and scan; anything else goes through it, and it names the problem.
     */
    private static boolean plainAscii(CounterOp op) {
        return op.kind() != OpKind.UNIQUE && op.member() == null && op.windows().isEmpty()
                && printableAscii(op.counter()) && (op.id() == null || printableAscii(op.id()));
    }

    private static boolean printableAscii(String s) {
        int n = s.length();
        if (n == 0 || n > WireFormat.MAX_NAME_BYTES) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** The value of the {@code id} field, or null. */
    static byte[] id(byte[][] fields) {
        for (int i = 0; i < fields.length; i += 2) {
            if (fields[i] == ID) {
                return fields[i + 1];
            }
        }
        return null;
    }

    /** The routing key's bytes (counter or event type) of a send to {@code topic} ({@link StreamKeys#OPS} or EVENTS). */
    static byte[] routingKey(int topic, byte[][] fields) {
        return fields[topic == StreamKeys.OPS ? OP_ROUTING_KEY : EVENT_ROUTING_KEY];
    }

    private static int putOptional(byte[][] fields, int at, String id, Long ts) {
        if (id != null) {
            fields[at++] = ID;
            fields[at++] = utf8(id);
        }
        if (ts != null) {
            fields[at++] = TS;
            fields[at++] = Ascii.ofLong(ts);
        }
        return at;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
