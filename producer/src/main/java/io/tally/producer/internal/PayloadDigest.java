package io.tally.producer.internal;

import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The payload digest of an idempotent send (docs/wire-format.md, "Operation ids"): SHA-256, its first
 * 128 bits as 32 lowercase hex digits, of the entry's fields other than {@code id} and {@code ts},
 * ordered by name (bytes, unsigned, then position), each written as
 * {@code <name bytes>:<name><value bytes>:<value>}. Computed here, on the sending thread, and handed to
 * append_runs.lua with the entry's values: hashing inside Redis cost it more than the rest of the entry.
 */
final class PayloadDigest {
    /** Length of a digest in hex digits. */
    static final int HEX_LENGTH = 32;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    /** Up to this many payload fields are ordered by insertion sort (an operation has 2 to 4). */
    private static final int SMALL = 16;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private PayloadDigest() {
    }

    /** The digest of an entry given as field name, value, name, value, ... (UTF-8). */
    static byte[] of(byte[][] fields) {
        byte[] hex = new byte[HEX_LENGTH];
        write(fields, hex, 0);
        return hex;
    }

    /**
     * Writes the digest of {@link #of} into {@code into} from {@code at}, where the send packs it, so that
     * it takes no array of its own; returns the position after it.
     */
    static int write(byte[][] fields, byte[] into, int at) {
        Scratch scratch = SCRATCH.get();
        int[] order = scratch.order(fields.length / 2);
        int count = 0;
        int size = 0;
        for (int i = 0; i < fields.length; i += 2) {
            if (!idOrTs(fields[i])) {
                order[count++] = i;
                size += written(fields[i]) + written(fields[i + 1]);
            }
        }
        sortByName(fields, order, count);
        byte[] text = scratch.text(size);
        int length = 0;
        for (int c = 0; c < count; c++) {
            length = put(text, length, fields[order[c]]);
            length = put(text, length, fields[order[c] + 1]);
        }
        byte[] hash = scratch.hash(text, length);
        for (int i = 0; i < HEX_LENGTH / 2; i++) {
            into[at++] = HEX[(hash[i] >> 4) & 0xf];
            into[at++] = HEX[hash[i] & 0xf];
        }
        return at;
    }

    private static boolean idOrTs(byte[] name) {
        return name.length == 2 && ((name[0] == 'i' && name[1] == 'd') || (name[0] == 't' && name[1] == 's'));
    }

    /** Orders the first {@code count} field positions by name bytes, then position (a stable sort). */
    private static void sortByName(byte[][] fields, int[] order, int count) {
        if (count <= SMALL) {
            for (int i = 1; i < count; i++) {
                int pos = order[i];
                int j = i - 1;
                while (j >= 0 && Arrays.compareUnsigned(fields[order[j]], fields[pos]) > 0) {
                    order[j + 1] = order[j];
                    j--;
                }
                order[j + 1] = pos;
            }
            return;
        }
        Integer[] boxed = new Integer[count];
        for (int i = 0; i < count; i++) {
            boxed[i] = order[i];
        }
        Arrays.sort(boxed, (a, b) -> Arrays.compareUnsigned(fields[a], fields[b])); // stable: position breaks ties
        for (int i = 0; i < count; i++) {
            order[i] = boxed[i];
        }
    }

    /** Bytes taken by {@code <length>:<part>}. */
    private static int written(byte[] part) {
        return decimalLength(part.length) + 1 + part.length;
    }

    /** Writes {@code <length>:<part>}. */
    private static int put(byte[] into, int at, byte[] part) {
        int n = part.length;
        int digits = decimalLength(n);
        for (int i = at + digits - 1, rest = n; i >= at; i--, rest /= 10) {
            into[i] = (byte) ('0' + rest % 10);
        }
        at += digits;
        into[at++] = ':';
        System.arraycopy(part, 0, into, at, n);
        return at + n;
    }

    private static int decimalLength(int n) {
        int digits = 1;
        while (n >= 10) {
            n /= 10;
            digits++;
        }
        return digits;
    }

    /** A sending thread's hasher and buffers, reused: a digest then allocates nothing. */
    private static final class Scratch {
        private final MessageDigest sha256;
        private final byte[] hash = new byte[32];
        private int[] order = new int[8];
        private final byte[] text = new byte[4096];

        Scratch() {
            try {
                sha256 = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every Java runtime has SHA-256", e);
            }
        }

        int[] order(int size) {
            if (order.length < size) {
                order = new int[size];
            }
            return order;
        }

        byte[] text(int size) {
            // a rare large payload gets its own buffer rather than pinning a large one to the thread
            return size <= text.length ? text : new byte[size];
        }

        byte[] hash(byte[] text, int length) {
            sha256.update(text, 0, length);
            try {
                sha256.digest(hash, 0, hash.length);
            } catch (DigestException e) {
                throw new IllegalStateException("SHA-256 gives 32 bytes", e);
            }
            return hash;
        }
    }
}
