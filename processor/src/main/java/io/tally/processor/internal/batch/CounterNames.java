package io.tally.processor.internal.batch;

import io.tally.common.internal.keys.Partitioner;
import io.tally.common.model.InvalidEntryException;
import io.tally.common.internal.wire.WireFormat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Turns the bytes of a counter name into its String when the name is valid (wire format rules) and
 * routes to this partition, remembering accepted names by their bytes: a hot counter is decoded and
 * checked once, later reads cost a hash and a compare. Confined to the thread that parses reads.
 *
 * <p>Names are chosen by any writer, so their hashes may collide on purpose. The open-addressing table
 * probes at most {@value #MAX_PROBES} slots; a name that finds no free slot within them goes to an
 * overflow map whose keys are comparable, so the JDK's map keeps even a bin of equal hashes a balanced
 * tree. A lookup therefore costs at most {@value #MAX_PROBES} probes plus a logarithmic search, whatever
 * the names, and the common case (no overflow) stays one hash and a compare.
 */
public final class CounterNames {
    /** Forget everything past this many names, so that a stream of one-off names cannot grow the heap. */
    private static final int MAX_REMEMBERED = 100_000;
    private static final int INITIAL_SLOTS = 1 << 12;
    /** Slots one lookup or insert probes before the name goes to (or is looked up in) the overflow map. */
    static final int MAX_PROBES = 16;

    private final int partition;
    private final Partitioner partitioner;
    private byte[][] keys = new byte[INITIAL_SLOTS][];
    private String[] names = new String[INITIAL_SLOTS];
    private int size;
    /** Names that found no free slot within {@value #MAX_PROBES} probes (colliding hashes). */
    private final Map<Name, String> overflow = new HashMap<>();
    /** Slots probed so far, for tests that bound the work per lookup. */
    long probes;

    public CounterNames(int partition, int partitions) {
        this.partition = partition;
        this.partitioner = new Partitioner(partitions);
    }

    /** The name in {@code bytes[off, off+len)} if it is valid and belongs here, else null. */
    String accepted(byte[] bytes, int off, int len) {
        int hash = hash(bytes, off, len);
        int mask = keys.length - 1;
        int slot = spread(hash) & mask;
        for (int probe = 0; probe < MAX_PROBES; probe++, slot = (slot + 1) & mask) {
            probes++;
            byte[] key = keys[slot];
            if (key == null) {
                break;
            }
            if (key.length == len && Arrays.equals(key, 0, len, bytes, off, off + len)) {
                return names[slot];
            }
        }
        if (!overflow.isEmpty()) {
            String known = overflow.get(new Name(Arrays.copyOfRange(bytes, off, off + len)));
            if (known != null) {
                return known;
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
            overflow.clear();
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
        for (int probe = 0; probe < MAX_PROBES; probe++, slot = (slot + 1) & mask) {
            if (keys[slot] == null) {
                keys[slot] = key;
                names[slot] = name;
                return;
            }
        }
        overflow.put(new Name(key), name);
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

    /** A name's bytes as a map key; comparable, so that a bin of equal hashes becomes a balanced tree. */
    private record Name(byte[] bytes) implements Comparable<Name> {
        @Override
        public boolean equals(Object o) {
            return o instanceof Name other && Arrays.equals(bytes, other.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public int compareTo(Name other) {
            return Arrays.compare(bytes, other.bytes);
        }

        @Override
        public String toString() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private static int hash(byte[] bytes, int off, int len) {
        int hash = 1;
        for (int i = off; i < off + len; i++) {
            hash = 31 * hash + bytes[i];
        }
        return hash;
    }

    /** Fibonacci mixing: names differing in their last byte (counter-1, counter-2...) land far apart. */
    private static int spread(int hash) {
        int h = hash * 0x9E3779B9;
        return h ^ (h >>> 16);
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
