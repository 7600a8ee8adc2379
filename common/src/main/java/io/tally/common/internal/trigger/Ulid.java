package io.tally.common.internal.trigger;

import java.security.SecureRandom;

/**
 * ULIDs (26 characters of Crockford base32: 48 bits of epoch ms, then 80 random bits), used in
 * trigger ids so that ids sort by creation time and never collide across clients.
 */
final class Ulid {
    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();
    static final int LENGTH = 26;

    private Ulid() {
    }

    static String next(long epochMs) {
        byte[] rnd = new byte[10];
        RANDOM.nextBytes(rnd);
        char[] out = new char[LENGTH];
        long t = epochMs;
        for (int i = 9; i >= 0; i--) {
            out[i] = ALPHABET[(int) (t & 31)];
            t >>>= 5;
        }
        // 80 random bits as 16 characters of 5 bits each.
        long hi = 0;
        for (int i = 0; i < 5; i++) {
            hi = (hi << 8) | (rnd[i] & 0xff);
        }
        long lo = 0;
        for (int i = 5; i < 10; i++) {
            lo = (lo << 8) | (rnd[i] & 0xff);
        }
        for (int i = 0; i < 8; i++) {
            out[17 - i] = ALPHABET[(int) (hi & 31)];
            hi >>>= 5;
            out[25 - i] = ALPHABET[(int) (lo & 31)];
            lo >>>= 5;
        }
        return new String(out);
    }

    static boolean isValid(String s) {
        if (s.length() != LENGTH || s.charAt(0) > '7') {
            return false;
        }
        for (int i = 0; i < LENGTH; i++) {
            if (new String(ALPHABET).indexOf(s.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }
}
