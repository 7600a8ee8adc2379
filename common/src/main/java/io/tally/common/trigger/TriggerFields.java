package io.tally.common.trigger;

import io.tally.common.internal.wire.WireFormat;
import io.tally.common.model.InvalidEntryException;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static io.tally.common.trigger.TriggerDefinition.MAX_ENTRIES;
import static io.tally.common.trigger.TriggerDefinition.MAX_MATCH_BYTES;
import static io.tally.common.trigger.TriggerDefinition.MAX_PARAMS_BYTES;
import static io.tally.common.trigger.TriggerDefinition.MAX_VALUE_CHARS;

/** Checks of single fields of a {@link TriggerDefinition}, each failing with an {@link InvalidTriggerException} naming it. */
final class TriggerFields {
    private TriggerFields() {
    }

    static void required(String field, Object v, String hint) {
        if (v == null) {
            throw new InvalidTriggerException(field, "missing " + hint);
        }
    }

    /** A name of the wire format (event type, counter, map key). */
    static void name(String field, String v) {
        try {
            WireFormat.checkName(field, v);
        } catch (InvalidEntryException e) {
            throw new InvalidTriggerException(field, e.getMessage());
        }
    }

    /** A {@code match} or {@code params} map: its size, names and values, and their total bytes. */
    static void entries(String field, Map<String, String> m) {
        if (m.size() > MAX_ENTRIES) {
            throw new InvalidTriggerException(field, m.size() + " entries, at most " + MAX_ENTRIES + " allowed");
        }
        long bytes = 0;
        for (Map.Entry<String, String> e : m.entrySet()) {
            name(field + " name", e.getKey());
            String f = field + "." + e.getKey();
            if (e.getValue() == null) {
                throw new InvalidTriggerException(f, "missing value (values are strings)");
            }
            if (e.getValue().length() > MAX_VALUE_CHARS) {
                throw new InvalidTriggerException(f, "value of " + e.getValue().length() + " chars, at most "
                        + MAX_VALUE_CHARS + " allowed");
            }
            bytes += utf8Length(e.getKey()) + utf8Length(e.getValue());
        }
        if (field.equals("params") && bytes > MAX_PARAMS_BYTES) {
            throw new InvalidTriggerException(field, bytes + " bytes of names and values, at most "
                    + MAX_PARAMS_BYTES + " allowed (every firing copies them)");
        }
        if (field.equals("match") && bytes > MAX_MATCH_BYTES) {
            throw new InvalidTriggerException(field, bytes + " bytes of names and values, at most "
                    + MAX_MATCH_BYTES + " allowed (every event of its type is matched against it)");
        }
    }

    private static long utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
