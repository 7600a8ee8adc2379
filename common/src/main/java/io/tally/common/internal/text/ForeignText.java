package io.tally.common.internal.text;

/**
 * Text another program wrote (a value stored in Redis, an error that quotes one), made fit for a log line
 * or a message. It loads nothing but this class: the processor's takeover log line uses it, and loading the
 * JSON library on that path delayed the line.
 */
public final class ForeignText {
    private ForeignText() {
    }

    /**
     * The text cut after {@code max} characters ("..." appended when cut), every control character (C0, DEL
     * and C1: a line break would forge a log line) replaced by '?'.
     *
     * @param text the text as another program wrote it
     * @param max  the most characters kept
     * @return the text to quote
     */
    public static String printable(String text, int max) {
        boolean cut = text.length() > max;
        int end = cut ? max : text.length();
        StringBuilder out = new StringBuilder(end + (cut ? 3 : 0));
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            out.append(isControl(c) ? '?' : c);
        }
        return cut ? out.append("...").toString() : out.toString();
    }

    private static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f);
    }
}
