package io.tally.producer.internal;

import java.util.Arrays;

/**
 * The few MessagePack forms that {@code append_runs.lua} unpacks with Redis's {@code cmsgpack}: one
 * array (array 32) of strings (fixstr, str 8/16/32). Byte strings are copied as they are; a string is
 * read back only off the hot path (an error message).
 */
final class MsgPack {
    private MsgPack() {
    }

    /** Bytes taken by the string {@code value} once packed. */
    static int packedSize(byte[] value) {
        return headerSize(value.length) + value.length;
    }

    /** Bytes taken by the header of a string of {@code length} bytes. */
    static int headerSize(int length) {
        return length < 32 ? 1 : length < 256 ? 2 : length < 65536 ? 3 : 5;
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
        at = writeHeader(out, at, value.length);
        System.arraycopy(value, 0, out, at, value.length);
        return at + value.length;
    }

    /** Writes the header of a string of {@code n} bytes, which the caller writes next. */
    static int writeHeader(byte[] out, int at, int n) {
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
        return at;
    }

    /** A copy of the string written at {@code at} by {@link #writeString}. */
    static byte[] stringFrom(byte[] packed, int at) {
        int head = packed[at] & 0xff;
        int length = (head & 0xe0) == 0xa0 ? head & 0x1f : head == 0xd9 ? packed[at + 1] & 0xff
                : head == 0xda ? (packed[at + 1] & 0xff) << 8 | packed[at + 2] & 0xff : readInt(packed, at + 1);
        int start = at + headerSize(length);
        return Arrays.copyOfRange(packed, start, start + length);
    }

    /**
     * A copy of string {@code index} (from 0) of those written back to back from the start of
     * {@code packed} by {@link #writeString}.
     */
    static byte[] stringAt(byte[] packed, int index) {
        int at = 0;
        for (int i = 0; ; i++) {
            if (at >= packed.length) {
                throw new IllegalArgumentException("no string " + index + ": the bytes hold " + i);
            }
            int head = packed[at] & 0xff;
            int length;
            int start;
            if ((head & 0xe0) == 0xa0) {
                length = head & 0x1f;
                start = at + 1;
            } else if (head == 0xd9) {
                length = packed[at + 1] & 0xff;
                start = at + 2;
            } else if (head == 0xda) {
                length = (packed[at + 1] & 0xff) << 8 | packed[at + 2] & 0xff;
                start = at + 3;
            } else if (head == 0xdb) {
                length = readInt(packed, at + 1);
                start = at + 5;
            } else {
                throw new IllegalArgumentException("no MessagePack string at byte " + at + ": 0x" + Integer.toHexString(head));
            }
            if (i == index) {
                return Arrays.copyOfRange(packed, start, start + length);
            }
            at = start + length;
        }
    }

    private static int readInt(byte[] in, int at) {
        return (in[at] & 0xff) << 24 | (in[at + 1] & 0xff) << 16 | (in[at + 2] & 0xff) << 8 | in[at + 3] & 0xff;
    }

    private static void writeInt(byte[] out, int at, int v) {
        out[at] = (byte) (v >>> 24);
        out[at + 1] = (byte) (v >>> 16);
        out[at + 2] = (byte) (v >>> 8);
        out[at + 3] = (byte) v;
    }
}
