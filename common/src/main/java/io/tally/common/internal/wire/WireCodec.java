package io.tally.common.internal.wire;

import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.model.InvalidEntryException;
import io.tally.common.model.OpKind;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes operations and events as stream-entry fields (wire format v1) and decodes them back with
 * validation that names the broken field. Encoding validates too, so a producer can never write an
 * entry the processor would dead-letter.
 */
public final class WireCodec {
    public static final String PARAM_PREFIX = "p.";

    private WireCodec() {
    }

    public static Map<String, String> encode(CounterOp op) {
        validate(op);
        Map<String, String> fields = new LinkedHashMap<>(8);
        fields.put("op", op.kind().wireName());
        fields.put("counter", op.counter());
        switch (op.kind()) {
            case INCR, DECR -> fields.put("by", Long.toString(op.amount()));
            case SET -> fields.put("value", Long.toString(op.amount()));
            case UNIQUE -> fields.put("member", op.member());
            case RESET -> { }
        }
        if (!op.windows().isEmpty()) {
            fields.put("windows", String.join(",", op.windows()));
        }
        putOptional(fields, op.id(), op.ts());
        return fields;
    }

    public static Map<String, String> encode(Event event) {
        validate(event);
        Map<String, String> fields = new LinkedHashMap<>(4 + event.params().size());
        fields.put("type", event.type());
        putOptional(fields, event.id(), event.ts());
        event.params().forEach((name, value) -> fields.put(PARAM_PREFIX + name, value));
        return fields;
    }

    public static CounterOp decodeOp(Map<String, String> fields) {
        checkVersion(fields);
        WireFormat.checkFieldCount(fields.size());
        String opName = fields.get("op");
        if (opName == null) {
            throw new InvalidEntryException("missing_field", "op", "missing field 'op'");
        }
        OpKind kind = OpKind.fromWire(opName);
        if (kind == null) {
            throw new InvalidEntryException("unknown_op", "op",
                    "field 'op' has unknown operation '" + WireFormat.abbreviate(opName) + "' (expected incr, decr, set, reset or unique)");
        }
        String counter = fields.get("counter");
        WireFormat.checkName("counter", counter);
        // same order of checks as apply.lua, so that both name the same first problem
        checkOptionalId(fields);
        Long ts = optionalTs(fields);
        List<String> windows = windows(kind, fields.get("windows"));
        String member = null;
        if (kind == OpKind.UNIQUE) {
            member = fields.get("member");
            WireFormat.checkName("member", member);
        }
        long amount = switch (kind) {
            case INCR, DECR -> fields.containsKey("by") ? WireFormat.parseLong("by", fields.get("by")) : 1L;
            case SET -> WireFormat.parseLong("value", fields.get("value"));
            case RESET, UNIQUE -> 0L;
        };
        return new CounterOp(kind, counter, amount, fields.get("id"), ts, member, windows);
    }

    public static Event decodeEvent(Map<String, String> fields) {
        checkVersion(fields);
        WireFormat.checkFieldCount(fields.size());
        String type = fields.get("type");
        WireFormat.checkName("type", type);
        checkOptionalId(fields);
        Long ts = optionalTs(fields);
        Map<String, String> params = new LinkedHashMap<>();
        fields.forEach((name, value) -> {
            if (name.startsWith(PARAM_PREFIX)) {
                WireFormat.checkParamCount(params.size() + 1);
                WireFormat.checkName("param name", name.substring(PARAM_PREFIX.length()));
                WireFormat.checkParamValue(name, value);
                params.put(name.substring(PARAM_PREFIX.length()), value);
            }
        });
        return new Event(type, params, fields.get("id"), ts);
    }

    /** Checks an operation against wire format v1; throws {@link InvalidEntryException} naming the field. */
    public static void validate(CounterOp op) {
        WireFormat.checkName("counter", op.counter());
        if (op.kind() == OpKind.UNIQUE) {
            WireFormat.checkName("member", op.member());
        } else if (op.member() != null) {
            throw new InvalidEntryException("bad_member", "member", "field 'member' is only allowed on unique");
        }
        if (!op.windows().isEmpty()) {
            windows(op.kind(), String.join(",", op.windows()));
        }
        if (op.id() != null) {
            WireFormat.checkName("id", op.id());
        }
        if (op.kind() == OpKind.DECR && op.amount() == Long.MIN_VALUE) {
            // apply.lua negates 'by' and dead-letters this one whatever the counter holds
            throw new InvalidEntryException("overflow", "by", "field 'by': decr by " + Long.MIN_VALUE
                    + " cannot be negated in 64 bits (send incr by " + Long.MAX_VALUE + ", then incr by 1)");
        }
    }

    public static void validate(Event event) {
        WireFormat.checkName("type", event.type());
        if (event.id() != null) {
            WireFormat.checkName("id", event.id());
        }
        WireFormat.checkParamCount(event.params().size());
        event.params().forEach((name, value) -> {
            WireFormat.checkName("params name", name);
            if (value == null) {
                throw new InvalidEntryException("missing_field", "p." + name, "parameter '" + name + "' has no value");
            }
            WireFormat.checkParamValue(PARAM_PREFIX + name, value);
        });
    }

    private static List<String> windows(OpKind kind, String value) {
        if (value == null) {
            return List.of();
        }
        if (!kind.windowed()) {
            throw new InvalidEntryException("bad_windows", "windows",
                    "field 'windows' is only allowed on incr, decr and unique (" + kind.wireName() + " changes the total only)");
        }
        return WireFormat.parseWindows("windows", value);
    }

    private static void putOptional(Map<String, String> fields, String id, Long ts) {
        if (id != null) {
            fields.put("id", id);
        }
        if (ts != null) {
            fields.put("ts", Long.toString(ts));
        }
    }

    private static void checkOptionalId(Map<String, String> fields) {
        if (fields.containsKey("id")) {
            WireFormat.checkName("id", fields.get("id"));
        }
    }

    private static Long optionalTs(Map<String, String> fields) {
        String ts = fields.get("ts");
        return ts == null ? null : WireFormat.parseLong("ts", ts);
    }

    private static void checkVersion(Map<String, String> fields) {
        String v = fields.get("v");
        if (v != null && !WireFormat.VERSION.equals(v)) {
            throw new UnsupportedVersionException(v);
        }
    }
}
