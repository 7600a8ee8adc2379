package io.tally.processor.internal.batch;

/**
 * Parses {@link io.tally.common.internal.wire.WireFormat#isCanonicalInteger canonical} signed 64-bit decimals
 * from the bytes of a stream field without making a String of them: optional '-', no '+', no leading
 * zeros, no "-0", within the signed 64-bit range. One instance per parsing thread.
 */
final class DecimalBytes {
    private long value;

    /** True when {@code b[off, off+len)} is a canonical 64-bit integer; {@link #value()} then holds it. */
    boolean parse(byte[] b, int off, int len) {
        boolean negative = len > 0 && b[off] == '-';
        int start = off + (negative ? 1 : 0);
        int digits = off + len - start;
        if (digits <= 0 || digits > 19 || (b[start] == '0' && (digits > 1 || negative))) {
            return false;
        }
        // accumulate negatively, as Long.parseLong does, so that Long.MIN_VALUE fits
        long limit = negative ? Long.MIN_VALUE : -Long.MAX_VALUE;
        long multmin = limit / 10;
        long result = 0;
        for (int i = start; i < off + len; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9 || result < multmin) {
                return false;
            }
            result *= 10;
            if (result < limit + d) {
                return false;
            }
            result -= d;
        }
        value = negative ? result : -result;
        return true;
    }

    long value() {
        return value;
    }
}
