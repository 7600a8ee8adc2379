package io.tally.common.internal.resp;

import java.nio.charset.StandardCharsets;

/**
 * The Redis Cluster hash slot of a key: CRC16 (XMODEM) of the key's hash tag (the text between the
 * first '{' and the next '}', when not empty) or of the whole key, modulo {@value #SLOTS}. The same rule
 * as Redis's CLUSTER KEYSLOT, so a client can send each command to the master that holds its keys.
 */
public final class HashSlot {
    /** Slots in a cluster. */
    public static final int SLOTS = 16384;
    private static final int[] TABLE = table();

    private HashSlot() {
    }

    /** The slot of a key. */
    public static int of(String key) {
        byte[] b = key.getBytes(StandardCharsets.UTF_8);
        int start = 0;
        int end = b.length;
        int open = indexOf(b, (byte) '{', 0);
        if (open >= 0) {
            int close = indexOf(b, (byte) '}', open + 1);
            if (close > open + 1) {
                start = open + 1;
                end = close;
            }
        }
        return crc16(b, start, end) & (SLOTS - 1);
    }

    static int crc16(byte[] b, int start, int end) {
        int crc = 0;
        for (int i = start; i < end; i++) {
            crc = ((crc << 8) ^ TABLE[((crc >>> 8) ^ (b[i] & 0xff)) & 0xff]) & 0xffff;
        }
        return crc;
    }

    private static int indexOf(byte[] b, byte c, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    /** CRC16-CCITT (XMODEM, polynomial 0x1021) by byte. */
    private static int[] table() {
        int[] t = new int[256];
        for (int n = 0; n < 256; n++) {
            int crc = n << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
            t[n] = crc & 0xffff;
        }
        return t;
    }
}
