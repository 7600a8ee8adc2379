package io.tally.producer.internal;

import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.model.OpKind;
import io.tally.common.internal.wire.WireCodec;
import io.tally.common.internal.wire.WireFormat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Encodes a send straight into the UTF-8 field names and values of its stream entry, in the order of
 * {@link WireCodec#encode(CounterOp)}, so that the send path builds no map and no per-field string.
 * Field names are shared constants, and a queued send keeps them as one names array shared by every
 * entry of its shape ({@link #names}) and its values packed into one byte array ({@link #packValues}):
 * few objects live while a send waits, which keeps garbage collection cheap. Validation is WireCodec's.
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
    /** The names an operation's entry may have after op and counter, in wire order; a shape is those it has. */
    private static final byte[][] OP_OPTIONAL = {BY, VALUE, MEMBER, WINDOWS, ID, TS};
    /** The names an event's entry may have after type besides its parameters, in wire order. */
    private static final byte[][] EVENT_OPTIONAL = {ID, TS};
    /** Per shape (a bit per optional name), the names of its entries: one array for all of them. */
    private static final byte[][][] OP_SHAPES = shapes(new byte[][]{OP, COUNTER}, OP_OPTIONAL);
    private static final byte[][][] EVENT_SHAPES = shapes(new byte[][]{TYPE}, EVENT_OPTIONAL);

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
     * closer look (no member, no windows, no decr by -2^63, counter and id of 1-200 printable ASCII characters), so the
     * send path skips its UTF-8 encoding and scan; anything else goes through it, and it names the problem.
     */
    private static boolean plainAscii(CounterOp op) {
        return op.kind() != OpKind.UNIQUE && op.member() == null && op.windows().isEmpty()
                && !(op.kind() == OpKind.DECR && op.amount() == Long.MIN_VALUE)
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

    /**
     * The field names of an entry given as name, value, name, value, ...: for an operation, and an event
     * without parameters, the array every entry of its shape shares (so runs compare them by reference
     * first); for an event with parameters an array of its own. Never modify it.
     */
    static byte[][] names(int topic, byte[][] fields) {
        byte[][] shared = topic == StreamKeys.OPS ? shared(OP_SHAPES, OP_OPTIONAL, 2, fields)
                : shared(EVENT_SHAPES, EVENT_OPTIONAL, 1, fields);
        if (shared != null) {
            return shared;
        }
        byte[][] names = new byte[fields.length / 2][];
        for (int i = 0; i < names.length; i++) {
            names[i] = fields[2 * i];
        }
        return names;
    }

    /**
     * The names of {@code fields}' shape when each name after the {@code base} fixed ones is one of
     * {@code optional} (in its order, as encode writes them), else null.
     */
    private static byte[][] shared(byte[][][] shapes, byte[][] optional, int base, byte[][] fields) {
        int shape = 0;
        int next = 0;
        for (int i = 2 * base; i < fields.length; i += 2) {
            while (next < optional.length && fields[i] != optional[next]) {
                next++;
            }
            if (next == optional.length) {
                return null;
            }
            shape |= 1 << next++;
        }
        return shapes[shape];
    }

    private static byte[][][] shapes(byte[][] base, byte[][] optional) {
        byte[][][] shapes = new byte[1 << optional.length][][];
        for (int shape = 0; shape < shapes.length; shape++) {
            byte[][] names = Arrays.copyOf(base, base.length + Integer.bitCount(shape));
            int at = base.length;
            for (int i = 0; i < optional.length; i++) {
                if ((shape & 1 << i) != 0) {
                    names[at++] = optional[i];
                }
            }
            shapes[shape] = names;
        }
        return shapes;
    }

    /**
     * The values of an entry given as name, value, name, value, ... as MessagePack strings back to back:
     * what append_runs.lua unpacks for the entry of a send without an operation id.
     */
    static byte[] packValues(byte[][] fields) {
        byte[] packed = new byte[valuesSize(fields)];
        writeValues(fields, packed);
        return packed;
    }

    /**
     * The values of an entry with an operation id ({@link #packValues}), then its payload digest, then the
     * header of a string of {@code dedupeLength} bytes which the caller writes at the end (where the id is
     * kept, {@link StreamKeys#dedupe}): each part written once, in place, into the one array a queued send keeps.
     */
    static byte[] packValuesWithId(byte[][] fields, int dedupeLength) {
        int size = valuesSize(fields) + MsgPack.headerSize(PayloadDigest.HEX_LENGTH) + PayloadDigest.HEX_LENGTH
                + MsgPack.headerSize(dedupeLength) + dedupeLength;
        byte[] packed = new byte[size];
        int at = writeValues(fields, packed);
        at = MsgPack.writeHeader(packed, at, PayloadDigest.HEX_LENGTH);
        at = PayloadDigest.write(fields, packed, at);
        MsgPack.writeHeader(packed, at, dedupeLength);
        return packed;
    }

    private static int valuesSize(byte[][] fields) {
        int size = 0;
        for (int i = 1; i < fields.length; i += 2) {
            size += MsgPack.packedSize(fields[i]);
        }
        return size;
    }

    private static int writeValues(byte[][] fields, byte[] packed) {
        int at = 0;
        for (int i = 1; i < fields.length; i += 2) {
            at = MsgPack.writeString(packed, at, fields[i]);
        }
        return at;
    }

    /** Position of the {@code id} field among an entry's {@link #names}, or -1. */
    static int idIndex(byte[][] names) {
        for (int i = 0; i < names.length; i++) {
            if (names[i] == ID) {
                return i;
            }
        }
        return -1;
    }

    /** Position of the routing key among the values of an entry of {@code topic}. */
    static int routingKeyIndex(int topic) {
        return (topic == StreamKeys.OPS ? OP_ROUTING_KEY : EVENT_ROUTING_KEY) / 2;
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
