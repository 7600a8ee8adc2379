package io.tally.processor.worker;

import io.tally.common.keys.Partitioner;
import io.tally.common.wire.InvalidEntryException;
import io.tally.common.wire.WireFormat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns the bytes of a counter name into its String when the name is valid (wire format rules) and
 * routes to this partition, remembering accepted names by their bytes: a hot counter is decoded and
 * checked once, later reads cost a hash and a compare. Confined to the thread that parses reads.
 */
final class CounterNames {
    /** Forget everything past this many names, so that a stream of one-off names cannot grow the heap. */
    private static final int MAX_REMEMBERED = 100_000;
    private static final int INITIAL_SLOTS = 1 << 12;

    private final int partition;
    private final Partitioner partitioner;
    private byte[][] keys = new byte[INITIAL_SLOTS][];
    private String[] names = new String[INITIAL_SLOTS];
    private int size;

    CounterNames(int partition, int partitions) {
        this.partition = partition;
        this.partitioner = new Partitioner(partitions);
    }

    /** The name in {@code bytes[off, off+len)} if it is valid and belongs here, else null. */
    String accepted(byte[] bytes, int off, int len) {
        int hash = hash(bytes, off, len);
        int mask = keys.length - 1;
        for (int slot = spread(hash) & mask; ; slot = (slot + 1) & mask) {
            byte[] key = keys[slot];
            if (key == null) {
                break;
            }
            if (key.length == len && Arrays.equals(key, 0, len, bytes, off, off + len)) {
                return names[slot];
            }
        }
        String name = new String(bytes, off, len, StandardCharsets.UTF_8);
        if (!validName(name) || partitioner.partitionOf(name) != partition) {
            return null;
        }
        remember(Arrays.copyOfRange(bytes, off, off + len), name, hash);
        return name;
    }

    private void remember(byte[] key, String name, int hash) {
        if (size >= MAX_REMEMBERED) {
            keys = new byte[INITIAL_SLOTS][];
            names = new String[INITIAL_SLOTS];
            size = 0;
        } else if (2 * (size + 1) > keys.length) {
            grow();
        }
        insert(key, name, hash);
        size++;
    }

    private void insert(byte[] key, String name, int hash) {
        int mask = keys.length - 1;
        int slot = spread(hash) & mask;
        while (keys[slot] != null) {
            slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        names[slot] = name;
    }

    private void grow() {
        byte[][] oldKeys = keys;
        String[] oldNames = names;
        keys = new byte[oldKeys.length * 2][];
        names = new String[oldKeys.length * 2];
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != null) {
                insert(oldKeys[i], oldNames[i], hash(oldKeys[i], 0, oldKeys[i].length));
            }
        }
    }

    private static int hash(byte[] bytes, int off, int len) {
        int hash = 1;
        for (int i = off; i < off + len; i++) {
            hash = 31 * hash + bytes[i];
        }
        return hash;
    }

    private static int spread(int hash) {
        return hash ^ (hash >>> 16);
    }

    /**
     * The name rules of apply.lua. Bytes that are not UTF-8 decode to U+FFFD, so a name holding U+FFFD
     * is left to the script, which sees the raw bytes.
     */
    static boolean validName(String name) {
        if (name.indexOf('\uFFFD') >= 0) {
            return false;
        }
        try {
            WireFormat.checkName("counter", name);
            return true;
        } catch (InvalidEntryException e) {
            return false;
        }
    }
}
