package io.tally.processor.internal.batch;

import java.nio.charset.StandardCharsets;

/**
 * Writes a script argument's text straight into a byte array of its exact size: a batch's ids and its
 * fold are sent once per batch, and building them as strings first costs three copies per entry (the
 * builder, its string, the string's UTF-8 bytes), a large share of the processor's allocation.
 * Callers measure with the {@code length} methods, allocate once, then fill with the {@code write}
 * methods, each of which returns the index after what it wrote.
 */
final class ArgumentBytes {
    private ArgumentBytes() {
    }

    /** Bytes of {@code s} in UTF-8. */
    static int length(String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            if (s.charAt(i) >= 0x80) {
                return s.getBytes(StandardCharsets.UTF_8).length;
            }
        }
        return n;
    }

    static int write(String s, byte[] b, int at) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                System.arraycopy(utf8, 0, b, at - i, utf8.length);
                return at - i + utf8.length;
            }
            b[at++] = (byte) c;
        }
        return at;
    }

    /** Digits of {@code v} as a signed decimal, with its sign. */
    static int lengthSigned(long v) {
        if (v == Long.MIN_VALUE) {
            return 20;
        }
        return v < 0 ? 1 + digits(-v) : digits(v);
    }

    static int writeSigned(long v, byte[] b, int at) {
        if (v >= 0) {
            return writeDigits(v, b, at);
        }
        if (v == Long.MIN_VALUE) {
            return write(Long.toString(v), b, at);
        }
        b[at] = '-';
        return writeDigits(-v, b, at + 1);
    }

    /** Digits of {@code v} as an unsigned decimal (stream ids are unsigned 64-bit). */
    static int lengthUnsigned(long v) {
        return v >= 0 ? digits(v) : Long.toUnsignedString(v).length();
    }

    static int writeUnsigned(long v, byte[] b, int at) {
        return v >= 0 ? writeDigits(v, b, at) : write(Long.toUnsignedString(v), b, at);
    }

    /** Digits of a non-negative value. */
    private static int digits(long v) {
        int n = 1;
        while (v >= 10) {
            v /= 10;
            n++;
        }
        return n;
    }

    private static int writeDigits(long v, byte[] b, int at) {
        int end = at + digits(v);
        int i = end;
        do {
            b[--i] = (byte) ('0' + v % 10);
            v /= 10;
        } while (v > 0);
        return end;
    }
}
