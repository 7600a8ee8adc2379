package io.tally.app.cli;

import java.nio.charset.StandardCharsets;

/**
 * Makes text from Redis safe to print on a terminal. Anyone who can write to Redis chooses what a
 * dead letter, a firing or a counter name holds; printed raw, {@code ESC ] 0 ; ... BEL} retitles the
 * window and other sequences move the cursor, rewrite lines or worse, and a 25 MB field floods the
 * screen. So every character a terminal could act on is shown as a visible escape, and long values
 * are cut with a note of how much was left out.
 *
 * <p>Escaped: C0 controls ({@code \n}, {@code \r}, {@code \t} and {@code \x1b} style), DEL
 * ({@code \x7f}), C1 controls ({@code \u009b} style), lone surrogates and U+FFFD (what an invalid
 * UTF-8 byte decodes to), the line and paragraph separators and the bidirectional overrides (which
 * reorder what a reader sees), and the backslash itself ({@code \\}), so that an escape in the output
 * always means an escaped character.
 */
public final class TerminalText {
    /** Characters of a value shown before it is cut, unless a command's {@code --full} is given. */
    public static final int DEFAULT_MAX = 200;

    private TerminalText() {
    }

    /** {@link #safe(String, int)} with {@link #DEFAULT_MAX}. */
    public static String safe(String text) {
        return safe(text, DEFAULT_MAX);
    }

    /**
     * The text with every character a terminal could act on escaped and, when it has more than
     * {@code max} characters ({@code max <= 0}: never), cut after {@code max} with
     * {@code …(+N bytes)}, N being the UTF-8 bytes left out.
     */
    public static String safe(String text, int max) {
        if (text == null) {
            return "null";
        }
        int cut = cutAt(text, max);
        StringBuilder sb = new StringBuilder(Math.min(cut, 4096) + 16);
        for (int i = 0; i < cut; i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                sb.append("\\\\");
            } else if (isSurrogatePair(text, i, cut)) {
                sb.append(c).append(text.charAt(++i));
            } else {
                appendEscaped(sb, c, false);
            }
        }
        return sb.append(omitted(text, cut)).toString();
    }

    /**
     * A JSON document made safe the same way while staying valid JSON: characters are escaped as
     * {@code \}{@code u00XX} (JSON's own escape; Jackson already escapes C0), and a string value longer
     * than {@code max} characters ({@code max <= 0}: never) is cut inside its quotes with
     * {@code …(+N bytes)}.
     */
    public static String json(String json, int max) {
        StringBuilder sb = new StringBuilder(Math.min(json.length(), 4096) + 16);
        int i = 0;
        while (i < json.length()) {
            char c = json.charAt(i);
            if (c != '"') {
                // Outside strings valid JSON holds only structure, numbers and whitespace (kept as it is).
                if (c == '\n' || c == '\r' || c == '\t') {
                    sb.append(c);
                } else {
                    appendEscaped(sb, c, true);
                }
                i++;
                continue;
            }
            int end = stringEnd(json, i);
            sb.append('"');
            appendJsonString(sb, json.substring(i + 1, end), max);
            sb.append('"');
            i = end + 1;
        }
        return sb.toString();
    }

    /** Appends a JSON string's content (escapes as Jackson wrote them), cut after {@code max} characters. */
    private static void appendJsonString(StringBuilder sb, String content, int max) {
        int shown = 0;
        int i = 0;
        while (i < content.length()) {
            if (max > 0 && shown == max) {
                sb.append("…(+").append(utf8Length(content.substring(i))).append(" bytes)");
                return;
            }
            char c = content.charAt(i);
            if (c == '\\') {
                int len = Math.min(content.length() - i, i + 1 < content.length() && content.charAt(i + 1) == 'u' ? 6 : 2);
                sb.append(content, i, i + len);
                i += len;
            } else if (isSurrogatePair(content, i, content.length())) {
                sb.append(c).append(content.charAt(i + 1));
                i += 2;
            } else {
                appendEscaped(sb, c, true);
                i++;
            }
            shown++;
        }
    }

    /** Index of the quote that closes the string opening at {@code start}. */
    private static int stringEnd(String json, int start) {
        int i = start + 1;
        while (i < json.length() && json.charAt(i) != '"') {
            i += json.charAt(i) == '\\' ? 2 : 1;
        }
        return Math.min(i, json.length() - 1);
    }

    private static void appendEscaped(StringBuilder sb, char c, boolean json) {
        if (!dangerous(c)) {
            sb.append(c);
        } else if (json) {
            sb.append(String.format("\\u%04x", (int) c));
        } else if (c == '\n') {
            sb.append("\\n");
        } else if (c == '\r') {
            sb.append("\\r");
        } else if (c == '\t') {
            sb.append("\\t");
        } else if (c < 0x80) {
            sb.append(String.format("\\x%02x", (int) c));
        } else {
            sb.append(String.format("\\u%04x", (int) c));
        }
    }

    private static boolean dangerous(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f)
                || Character.isSurrogate(c) // only lone ones reach here
                || c == '\ufffd'
                || c == '\u2028' || c == '\u2029'
                || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069');
    }

    private static boolean isSurrogatePair(String s, int i, int end) {
        return Character.isHighSurrogate(s.charAt(i)) && i + 1 < end && Character.isLowSurrogate(s.charAt(i + 1));
    }

    /** Where to cut: after {@code max} characters, but never between the two halves of a pair. */
    private static int cutAt(String text, int max) {
        if (max <= 0 || text.length() <= max) {
            return text.length();
        }
        return Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
    }

    private static String omitted(String text, int cut) {
        if (cut == text.length()) {
            return "";
        }
        return "…(+" + utf8Length(text.substring(cut)) + " bytes)";
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
