package io.tally.common.internal.keys;

import java.nio.charset.StandardCharsets;

/**
 * Redis Cluster's hash slot, {@code CRC16 mod 16384} with the CRC-16/XMODEM Redis uses (polynomial
 * 0x1021, initial value 0, no reflection): of a key by CLUSTER KEYSLOT's rule ({@link #ofKey}), so a
 * client can send each command to the master holding its keys, and of a hash tag ({@link #ofTag}):
 * every Tally key of a partition carries its tag in braces, so that is the slot of all of them.
 */
public final class HashSlot {
    /** Number of hash slots in Redis Cluster. */
    public static final int SLOTS = 16384;

    private static final int[] TABLE = table();

    private HashSlot() {
    }

    /** Slot of the keys whose hash tag is {@code tag} (the text between the braces). */
    public static int ofTag(String tag) {
        return crc16(tag.getBytes(StandardCharsets.UTF_8)) % SLOTS;
    }

    /**
     * Slot of a key: of its hash tag (the text between the first '{' and the next '}', when not empty),
     * else of the whole key.
     */
    public static int ofKey(String key) {
        byte[] b = key.getBytes(StandardCharsets.UTF_8);
        int open = indexOf(b, (byte) '{', 0);
        int close = open < 0 ? -1 : indexOf(b, (byte) '}', open + 1);
        return close > open + 1 ? crc16(0, b, open + 1, close) % SLOTS : crc16(b) % SLOTS;
    }

    private static int indexOf(byte[] b, byte c, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    /** CRC-16/XMODEM of {@code bytes}. */
    public static int crc16(byte[] bytes) {
        return crc16(0, bytes, 0, bytes.length);
    }

    /** CRC-16/XMODEM of what gave {@code crc}, followed by {@code b}. */
    public static int crc16(int crc, byte b) {
        return ((crc << 8) ^ TABLE[((crc >>> 8) ^ b) & 0xff]) & 0xffff;
    }

    /** CRC-16/XMODEM of what gave {@code crc}, followed by {@code bytes[from, to)}. */
    public static int crc16(int crc, byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            crc = ((crc << 8) ^ TABLE[((crc >>> 8) ^ bytes[i]) & 0xff]) & 0xffff;
        }
        return crc;
    }

    private static int[] table() {
        int[] table = new int[256];
        for (int i = 0; i < 256; i++) {
            int crc = i << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
            table[i] = crc & 0xffff;
        }
        return table;
    }
}
