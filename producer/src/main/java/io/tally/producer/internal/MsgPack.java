package io.tally.producer.internal;

/**
 * The few MessagePack forms that {@code append_runs.lua} unpacks with Redis's {@code cmsgpack}: one
 * array (array 32) of strings (fixstr, str 8/16/32). Byte strings are copied as they are.
 */
final class MsgPack {
    private MsgPack() {
    }

    /** Bytes taken by the string {@code value} once packed. */
    static int packedSize(byte[] value) {
        int n = value.length;
        return n + (n < 32 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5);
    }

    /** Bytes taken by an array header. */
    static int arrayHeaderSize() {
        return 5;
    }

    static int writeArrayHeader(byte[] out, int at, int count) {
        out[at] = (byte) 0xdd;
        writeInt(out, at + 1, count);
        return at + 5;
    }

    static int writeString(byte[] out, int at, byte[] value) {
        int n = value.length;
        if (n < 32) {
            out[at++] = (byte) (0xa0 | n);
        } else if (n < 256) {
            out[at++] = (byte) 0xd9;
            out[at++] = (byte) n;
        } else if (n < 65536) {
            out[at++] = (byte) 0xda;
            out[at++] = (byte) (n >>> 8);
            out[at++] = (byte) n;
        } else {
            out[at++] = (byte) 0xdb;
            writeInt(out, at, n);
            at += 4;
        }
        System.arraycopy(value, 0, out, at, n);
        return at + n;
    }

    private static void writeInt(byte[] out, int at, int v) {
        out[at] = (byte) (v >>> 24);
        out[at + 1] = (byte) (v >>> 16);
        out[at + 2] = (byte) (v >>> 8);
        out[at + 3] = (byte) v;
    }
}
