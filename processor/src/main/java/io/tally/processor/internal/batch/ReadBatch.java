package io.tally.processor.internal.batch;

import org.redisson.api.stream.StreamMessageId;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Entries of one input stream that the processor read itself (XREADGROUP '>') and has not applied yet:
 * their ids and, for the ops stream, the entries as {@link OpsEntries} parsed them. They sit in this
 * consumer's pending list until a script applies and acknowledges them.
 */
public final class ReadBatch {
    private final long[] ms;
    private final long[] seq;
    /** Parsed ops entries; null for events, which apply.lua re-reads from the pending list. */
    private final OpsEntries ops;
    /** The fast script declined it (or cannot take it): apply.lua re-reads it from the pending list. */
    public boolean slow;
    private CounterFold fold;
    private boolean folded;

    public ReadBatch(long[] ms, long[] seq, OpsEntries ops) {
        this.ms = ms;
        this.seq = seq;
        this.ops = ops;
    }

    /**
     * A batch from field maps as a general client decodes them (the read path of Cluster and Sentinel
     * mode, and tests). {@code names} is null for events.
     */
    public static ReadBatch fromFields(Map<StreamMessageId, Map<String, String>> read, CounterNames names) {
        int n = read.size();
        long[] ms = new long[n];
        long[] seq = new long[n];
        OpsEntries ops = names == null ? null : new OpsEntries(n, names);
        int i = 0;
        for (Map.Entry<StreamMessageId, Map<String, String>> e : read.entrySet()) {
            ms[i] = e.getKey().getId0();
            seq[i] = e.getKey().getId1();
            i++;
            if (ops != null) {
                ops.beginEntry();
                ops.fieldCount(e.getValue().size());
                e.getValue().forEach((field, value) -> {
                    byte[] name = field.getBytes(StandardCharsets.UTF_8);
                    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
                    ops.field(OpsEntries.fieldOf(name, 0, name.length), bytes, 0, bytes.length);
                });
                ops.endEntry();
            }
        }
        return new ReadBatch(ms, seq, ops);
    }

    public int size() {
        return ms.length;
    }

    public String first() {
        return id(0);
    }

    public String last() {
        return id(ms.length - 1);
    }

    /** Both parts of an id are unsigned 64-bit: a writer may XADD any id up to 2^64-1 - 2^64-1. */
    private String id(int i) {
        return Long.toUnsignedString(ms[i]) + "-" + Long.toUnsignedString(seq[i]);
    }

    /**
     * Millisecond part of the i-th id (Redis time when the entry was added, unless a writer chose the id):
     * unsigned, so negative for ids beyond 2^63-1 ms.
     */
    public long millis(int i) {
        return ms[i];
    }

    /** The ids, each followed by a space, as the fast script takes them: UTF-8 bytes of their exact size. */
    public byte[] joinedIds() {
        int length = 0;
        for (int i = 0; i < ms.length; i++) {
            length += ArgumentBytes.lengthUnsigned(ms[i]) + ArgumentBytes.lengthUnsigned(seq[i]) + 2;
        }
        byte[] out = new byte[length];
        int at = 0;
        for (int i = 0; i < ms.length; i++) {
            at = ArgumentBytes.writeUnsigned(ms[i], out, at);
            out[at++] = '-';
            at = ArgumentBytes.writeUnsigned(seq[i], out, at);
            out[at++] = ' ';
        }
        return out;
    }

    /** The id right before the first entry: apply.lua's cursor for reading this batch from the pending list. */
    public String cursorBefore() {
        if (seq[0] != 0) {
            return Long.toUnsignedString(ms[0]) + "-" + Long.toUnsignedString(seq[0] - 1);
        }
        return ms[0] == 0 ? "0-0" : Long.toUnsignedString(ms[0] - 1) + "-18446744073709551615";
    }

    /** The batch folded per counter, or null when apply.lua must judge it entry by entry. */
    public CounterFold fold(SeriesRules series) {
        if (!folded) {
            fold = ops == null ? null : CounterFold.of(ops, ms, series);
            folded = true;
        }
        return fold;
    }
}
