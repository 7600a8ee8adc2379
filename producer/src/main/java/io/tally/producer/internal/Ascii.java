package io.tally.producer.internal;

/** Decimal numbers as the ASCII bytes Redis receives, without a String in between. */
final class Ascii {
    private static final byte[][] SMALL = new byte[1024][];

    static {
        for (int i = 0; i < SMALL.length; i++) {
            SMALL[i] = Integer.toString(i).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        }
    }

    private Ascii() {
    }

    /** The decimal form of {@code v}; numbers 0-1023 share one cached array each (never modify it). */
    static byte[] ofLong(long v) {
        if (v >= 0 && v < SMALL.length) {
            return SMALL[(int) v];
        }
        if (v == Long.MIN_VALUE) {
            return Long.toString(v).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        }
        boolean negative = v < 0;
        long rest = negative ? -v : v;
        int digits = 1;
        for (long bound = 10; digits < 19 && rest >= bound; bound *= 10) {
            digits++;
        }
        byte[] out = new byte[digits + (negative ? 1 : 0)];
        for (int i = out.length - 1; i >= (negative ? 1 : 0); i--) {
            out[i] = (byte) ('0' + rest % 10);
            rest /= 10;
        }
        if (negative) {
            out[0] = '-';
        }
        return out;
    }
}
