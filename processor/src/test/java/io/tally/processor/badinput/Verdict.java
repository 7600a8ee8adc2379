package io.tally.processor.badinput;

import io.tally.common.internal.keys.Partitioner;
import io.tally.common.model.CounterOp;
import io.tally.common.model.OpKind;
import io.tally.common.model.InvalidEntryException;
import io.tally.common.internal.wire.WireCodec;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What Java says about a raw entry: the decoded operation, or the dead-letter reason. Built on
 * {@link WireCodec}; the two checks the codec cannot make on a Java string are added in the apply
 * script's order: bytes that are not UTF-8 in a name field, and the partition of the routing key.
 */
record Verdict(String reason, CounterOp op) {
    static final String APPLIED = "applied";

    boolean applied() {
        return reason.equals(APPLIED);
    }

    static Verdict of(RawEntry entry, int partition, int partitions) {
        Map<String, byte[]> raw = entry.map();
        Map<String, String> fields = new LinkedHashMap<>();
        raw.forEach((k, v) -> fields.put(k, new String(v, StandardCharsets.UTF_8)));
        String routingField = entry.topic().equals("ops") ? "counter" : "type";
        try {
            if (entry.topic().equals("ops")) {
                // the op field comes first in both
                if (fields.get("op") == null || OpKind.fromWire(fields.get("op")) == null) {
                    WireCodec.decodeOp(fields);
                }
            }
            String early = nameAndPartition(raw.get(routingField), routingField, fields, partition, partitions);
            if (early != null) {
                return new Verdict(early, null);
            }
            if (raw.containsKey("id") && !utf8(raw.get("id")) && raw.get("id").length > 0 && raw.get("id").length <= 200) {
                return new Verdict(invalidUtf8Reason(raw.get("id")), null);
            }
            if (entry.topic().equals("events")) {
                return new Verdict(eventVerdict(entry, fields), null);
            }
            CounterOp op = WireCodec.decodeOp(fields);
            if (op.kind() == OpKind.DECR && op.amount() == Long.MIN_VALUE) {
                return new Verdict("overflow", null); // decr by -2^63 cannot be negated
            }
            return new Verdict(APPLIED, op);
        } catch (InvalidEntryException e) {
            return new Verdict(e.reason(), null);
        }
    }

    /** decodeEvent on the parameters Java can see, then the parameter names that are not UTF-8 (as bytes). */
    private static String eventVerdict(RawEntry entry, Map<String, String> fields) {
        java.util.List<byte[]> badNames = new java.util.ArrayList<>();
        for (int i = 0; i + 1 < entry.fields().size(); i += 2) {
            byte[] name = entry.fields().get(i);
            if (name.length >= 2 && name[0] == 'p' && name[1] == '.' && !utf8(name)) {
                badNames.add(java.util.Arrays.copyOfRange(name, 2, name.length));
                fields.remove(new String(name, StandardCharsets.UTF_8));
            }
        }
        WireCodec.decodeEvent(fields);
        for (byte[] name : badNames) {
            return name.length > 200 ? "too_long" : invalidUtf8Reason(name);
        }
        return APPLIED;
    }

    /** Name checks of the routing key on its bytes, then its partition; null when both pass. */
    private static String nameAndPartition(byte[] value, String field, Map<String, String> fields, int partition,
                                           int partitions) {
        if (value != null && value.length > 0 && value.length <= 200 && !utf8(value)) {
            return invalidUtf8Reason(value);
        }
        try {
            io.tally.common.internal.wire.WireFormat.checkName(field, fields.get(field));
        } catch (InvalidEntryException e) {
            return e.reason();
        }
        return new Partitioner(partitions).partitionOf(value) == partition ? null : "wrong_partition";
    }

    /**
     * The reason for a name that is not UTF-8: names are checked from the start, so a control
     * character before the first malformed sequence is reported as such.
     */
    static String invalidUtf8Reason(byte[] bytes) {
        java.nio.CharBuffer prefix = java.nio.CharBuffer.allocate(bytes.length);
        StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes), prefix, true);
        prefix.flip();
        for (int i = 0; i < prefix.length(); i++) {
            char c = prefix.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
                return "control_char";
            }
        }
        return "bad_utf8";
    }

    static boolean utf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
