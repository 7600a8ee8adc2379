package io.tally.processor.internal.batch;

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
