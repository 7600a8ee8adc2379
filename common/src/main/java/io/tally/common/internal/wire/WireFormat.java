package io.tally.common.internal.wire;

import io.tally.common.model.InvalidEntryException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Field-level rules of wire format v1, shared by the codec, the producer and the HTTP API.
 * The apply script (resources {@code tally/lua/apply.lua}) enforces the same rules on entries that
 * other programs write straight into the streams; {@code WireRulesAgreementTest} keeps both in step.
 */
public final class WireFormat {
    /** Format version this code writes and understands. */
    public static final String VERSION = "1";
    public static final int MAX_NAME_BYTES = 200;
    /** Most fields of one entry, counted as written (a repeated name counts each time): {@code too_many_fields}. */
    public static final int MAX_FIELDS = 1000;
    /** Most {@code p.} parameters of one event: {@code too_many_params}. */
    public static final int MAX_PARAMS = 100;
    /** Longest parameter value, bytes of UTF-8: {@code too_large}. */
    public static final int MAX_PARAM_VALUE_BYTES = 65_536;

    private WireFormat() {
    }

    /**
     * Checks a counter name, event type, member or parameter name: 1-200 bytes of UTF-8, no control
     * characters (C0, DEL, C1).
     */
    public static void checkName(String field, String value) {
        if (value == null) {
            throw new InvalidEntryException("missing_field", field, "missing field '" + field + "'");
        }
        if (value.isEmpty()) {
            throw new InvalidEntryException("empty_field", field, "field '" + field + "' is empty");
        }
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_NAME_BYTES) {
            throw new InvalidEntryException("too_long", field,
                    "field '" + field + "' is " + bytes + " bytes of UTF-8, at most " + MAX_NAME_BYTES + " allowed");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
                throw new InvalidEntryException("control_char", field,
                        "field '" + field + "' contains the control character U+" + String.format("%04X", (int) c));
            }
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < value.length()
                        && Character.isLowSurrogate(value.charAt(i + 1));
                if (!paired) {
                    throw new InvalidEntryException("bad_utf8", field, "field '" + field + "' is not valid UTF-8 (lone surrogate)");
                }
                i++;
            }
        }
    }

    /**
     * Parses a signed 64-bit integer in canonical decimal form: optional '-', no '+', no leading
     * zeros, no "-0". Canonical form is required because Redis itself rejects the other spellings.
     */
    public static long parseLong(String field, String value) {
        if (value == null) {
            throw new InvalidEntryException("missing_field", field, "missing field '" + field + "'");
        }
        if (!isCanonicalInteger(value)) {
            throw new InvalidEntryException("bad_number", field,
                    "field '" + field + "' is not a canonical decimal integer: '" + abbreviate(value) + "'");
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new InvalidEntryException("bad_number", field,
                    "field '" + field + "' is outside the signed 64-bit range: '" + abbreviate(value) + "'");
        }
    }

    /** Checks the number of fields of an entry. */
    public static void checkFieldCount(int fields) {
        if (fields > MAX_FIELDS) {
            throw new InvalidEntryException("too_many_fields", "",
                    "the entry has " + fields + " fields, at most " + MAX_FIELDS + " allowed");
        }
    }

    /** Checks the number of parameters of an event ({@code count} so far, the one being added included). */
    public static void checkParamCount(int count) {
        if (count > MAX_PARAMS) {
            throw new InvalidEntryException("too_many_params", "params",
                    "the event has more than " + MAX_PARAMS + " parameters");
        }
    }

    /** Checks the size of a parameter value. */
    public static void checkParamValue(String field, String value) {
        // a char is at most 3 bytes of UTF-8: only long values need counting
        if (value.length() * 3L <= MAX_PARAM_VALUE_BYTES) {
            return;
        }
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_PARAM_VALUE_BYTES) {
            throw new InvalidEntryException("too_large", field,
                    "field '" + abbreviate(field) + "' is " + bytes + " bytes, at most " + MAX_PARAM_VALUE_BYTES + " allowed");
        }
    }

    /** Most windows one entry may name. */
    public static final int MAX_WINDOWS = 8;

    /**
     * Parses a {@code windows} field: comma-separated window names ({@code <n><unit>}, n 1-9999, unit s,
     * m, h or d), no spaces, no duplicates, at most {@value #MAX_WINDOWS}. Whether a window is allowed
     * is the processor's configuration ({@code series-windows}); the apply script dead-letters others.
     */
    public static List<String> parseWindows(String field, String value) {
        if (value.isEmpty()) {
            throw new InvalidEntryException("bad_windows", field, "field '" + field + "' is empty");
        }
        String[] parts = value.split(",", -1);
        if (parts.length > MAX_WINDOWS) {
            throw new InvalidEntryException("bad_windows", field,
                    "field '" + field + "' names " + parts.length + " windows, at most " + MAX_WINDOWS + " allowed");
        }
        List<String> windows = new ArrayList<>(parts.length);
        for (String w : parts) {
            checkWindowName(field, w);
            if (windows.contains(w)) {
                throw new InvalidEntryException("bad_windows", field, "field '" + field + "' names window '" + w + "' twice");
            }
            windows.add(w);
        }
        return windows;
    }

    static void checkWindowName(String field, String w) {
        if (!w.matches("[1-9][0-9]{0,3}[smhd]")) {
            throw new InvalidEntryException("bad_windows", field,
                    "field '" + field + "' has window '" + abbreviate(w) + "' (expected names like 1m, 1h, 1d)");
        }
    }

    /** True for a signed decimal integer in canonical form (no "+", no leading zeros, no "-0"), at most 19 digits. */
    public static boolean isCanonicalInteger(String s) {
        int start = s.startsWith("-") ? 1 : 0;
        if (s.length() == start || s.length() - start > 19) {
            return false;
        }
        for (int i = start; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        boolean leadingZero = s.charAt(start) == '0' && s.length() - start > 1;
        boolean negativeZero = start == 1 && s.equals("-0");
        return !leadingZero && !negativeZero;
    }

    static String abbreviate(String value) {
        return value.length() <= 40 ? value : value.substring(0, 40) + "...(" + value.length() + " chars)";
    }
}
