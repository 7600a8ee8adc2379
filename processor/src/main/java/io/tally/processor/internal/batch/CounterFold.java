package io.tally.processor.internal.batch;

import io.tally.common.series.SeriesWindow;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A batch of ops entries folded per counter for the fast apply script ({@code apply_counters.lua}):
 * the net delta of each counter, or the value it ends with when the batch sets it, plus the largest
 * running sum any counter reaches relative to its value before the batch. With that bound the script
 * proves, from the stored values alone, that no entry's running value can overflow.
 *
 * <p>Series windows fold the same way: the net delta of each (bucket, counter) cell, the deadline of
 * each bucket for the retention index, and how many entries came too late for their bucket (they count
 * in the total only), bucketed exactly as apply.lua does it.
 *
 * <p>{@link #of} folds only what it can decide exactly: batches whose every entry {@link OpsEntries}
 * kept (incr, decr, set and reset of format version 1 that pass apply.lua's field rules). Anything else
 * (unique, an invalid entry that must become a dead letter, a fold that leaves 64 bits, windows apply.lua
 * would refuse, a windowed entry whose id lies ahead of this process's clock) returns null and the batch
 * goes to apply.lua, which judges every entry on its own. Whether a windowed entry's id lies ahead of
 * Redis's clock only the fast script can tell: the fold gives it {@link Buckets#newestIdTime}.
 */
public final class CounterFold {
    /** Lua numbers are exact below 2^53; stored values are accepted below 1e14, so the bound stays under the rest. */
    static final long MAX_BOUND = (1L << 53) - 100_000_000_000_000L;

    private final Changes changes;
    private final Buckets buckets;
    private final long bound;

    private CounterFold(Changes changes, Buckets buckets, long bound) {
        this.changes = changes;
        this.buckets = buckets;
        this.bound = bound;
    }

    /** The series part: cells, deadlines and late entries (empty when no entry named windows). */
    public Buckets buckets() {
        return buckets;
    }

    public long bound() {
        return bound;
    }

    /**
     * The changes as the fast script takes them, {@code counter\nchange\n} per counter in order of first
     * appearance ({@code =} before the value a set or reset ends with): UTF-8 bytes of their exact size.
     */
    public byte[] pairs() {
        return changes.pairs();
    }

    /**
     * Folds a batch, or returns null when it needs apply.lua. Kept whole: one pass over the entries, each
     * way out of it a reason to leave the batch to apply.lua.
     *
     * @param entries  the batch's entries as parsed, in id order
     * @param idMillis the millisecond part of each entry's id
     * @param series   the configured series windows
     */
    static CounterFold of(OpsEntries entries, long[] idMillis, SeriesRules series) {
        if (!entries.foldable()) {
            return null;
        }
        Changes changes = new Changes(entries.size());
        Buckets buckets = new Buckets();
        long bound = 0;
        for (int i = 0; i < entries.size(); i++) {
            String counter = entries.counter(i);
            int c = changes.indexOf(counter);
            String windows = entries.windows(i);
            if (entries.absolute(i)) {
                if (windows != null) {
                    return null; // windows on set or reset: a dead letter
                }
                changes.set(c, entries.amount(i));
                continue;
            }
            long delta = entries.amount(i);
            if (!changes.add(c, delta)) {
                return null; // an entry of this batch overflows 64 bits: apply.lua dead-letters it
            }
            if (!changes.absolute[c]) {
                bound = Math.max(bound, Math.abs(changes.values[c]));
            }
            if (windows != null) {
                List<SeriesWindow> list = series.windowsOf(windows);
                if (list == null || series.aheadOfClock(idMillis[i]) || !buckets.add(counter, delta, list,
                        series.entryTime(entries.ts(i), idMillis[i]), idMillis[i])) {
                    return null;
                }
            }
        }
        bound = Math.max(bound, buckets.bound);
        if (bound >= MAX_BOUND) {
            return null;
        }
        return new CounterFold(changes, buckets, bound);
    }

    /** The windowed part of a batch: net change per (bucket, counter), bucket deadlines, late entries. */
    public static final class Buckets {
        private final Map<String, Map<String, Change>> cells = new LinkedHashMap<>();
        private final Map<String, Long> deadlines = new LinkedHashMap<>();
        private final Map<String, Integer> late = new LinkedHashMap<>();
        private long bound;
        /** The largest id time of the batch's windowed entries; -1 while there is none. */
        private long newestIdMs = -1;

        /** Returns false when a cell's running sum leaves 64 bits. */
        private boolean add(String counter, long delta, List<SeriesWindow> windows, long time, long idMs) {
            newestIdMs = Math.max(newestIdMs, idMs);
            for (SeriesWindow w : windows) {
                long start = time - time % w.lengthMs();
                long deadline = start + w.lengthMs() + w.retentionMs();
                if (deadline <= idMs) {
                    late.merge(w.name(), 1, Integer::sum);
                    continue;
                }
                String bucket = w.name() + ":" + start;
                deadlines.put(bucket, deadline);
                Change cell = cells.computeIfAbsent(bucket, b -> new LinkedHashMap<>())
                        .computeIfAbsent(counter, k -> new Change());
                if (!cell.add(delta)) {
                    return false;
                }
                bound = Math.max(bound, Math.abs(cell.value));
            }
            return true;
        }

        boolean isEmpty() {
            return cells.isEmpty();
        }

        /** Entries too late for their bucket per window: they changed the total only. */
        public Map<String, Integer> late() {
            return late;
        }

        /**
         * The largest id time (ms) of the batch's windowed entries, late ones included, or "" when it has
         * none: the fast script leaves the batch to apply.lua when it lies more than the future allowance
         * ahead of Redis time, which apply.lua buckets such an entry by.
         */
        public String newestIdTime() {
            return newestIdMs < 0 ? "" : Long.toString(newestIdMs);
        }

        /** {@code bucket\ncounter\ndelta\n} per cell, grouped by bucket. */
        public String cells() {
            StringBuilder out = new StringBuilder();
            cells.forEach((bucket, perCounter) -> perCounter.forEach((counter, cell) ->
                    out.append(bucket).append('\n').append(counter).append('\n').append(cell.value).append('\n')));
            return out.toString();
        }

        /** {@code bucket\ndeadline\n} per bucket: the retention index's scores. */
        public String deadlines() {
            StringBuilder out = new StringBuilder();
            deadlines.forEach((bucket, deadline) -> out.append(bucket).append('\n').append(deadline).append('\n'));
            return out.toString();
        }
    }

    /**
     * Each counter's change in order of first appearance, in arrays sized for the batch and indexed by
     * an open-addressing table: a map entry and a change object per counter were a large share of the
     * processor's allocation per entry.
     */
    private static final class Changes {
        final String[] counters;
        final long[] values;
        final boolean[] absolute;
        /** Index + 1 of the counter whose hash lands in each slot; 0 for a free slot. */
        private final int[] slots;
        private int size;

        Changes(int capacity) {
            counters = new String[capacity];
            values = new long[capacity];
            absolute = new boolean[capacity];
            slots = new int[Integer.highestOneBit(Math.max(2, capacity) * 2 - 1) * 2]; // at most half full
        }

        /** The counter's index, added with no change yet when it is new to the batch. */
        int indexOf(String counter) {
            int mask = slots.length - 1;
            int h = counter.hashCode();
            for (int slot = (h ^ (h >>> 16)) & mask; ; slot = (slot + 1) & mask) {
                int at = slots[slot] - 1;
                if (at < 0) {
                    counters[size] = counter;
                    slots[slot] = ++size;
                    return size - 1;
                }
                if (counters[at].equals(counter)) {
                    return at;
                }
            }
        }

        /** The counter ends the batch at {@code value} plus what later entries add. */
        void set(int c, long value) {
            absolute[c] = true;
            values[c] = value;
        }

        /** Adds a delta; false when the running value leaves 64 bits (or reaches its minimum). */
        boolean add(int c, long delta) {
            if (!fits(values[c], delta)) {
                return false;
            }
            values[c] += delta;
            return true;
        }

        byte[] pairs() {
            int length = 0;
            for (int c = 0; c < size; c++) {
                length += ArgumentBytes.length(counters[c]) + (absolute[c] ? 1 : 0)
                        + ArgumentBytes.lengthSigned(values[c]) + 2;
            }
            byte[] out = new byte[length];
            int at = 0;
            for (int c = 0; c < size; c++) {
                at = ArgumentBytes.write(counters[c], out, at);
                out[at++] = '\n';
                if (absolute[c]) {
                    out[at++] = '=';
                }
                at = ArgumentBytes.writeSigned(values[c], out, at);
                out[at++] = '\n';
            }
            return out;
        }
    }

    /** A series cell's net change. */
    private static final class Change {
        long value;

        /** Adds a delta; false when the running value leaves 64 bits (or reaches its minimum). */
        boolean add(long delta) {
            if (!fits(value, delta)) {
                return false;
            }
            value += delta;
            return true;
        }
    }

    /** Whether {@code value + delta} stays within 64 bits and above Long.MIN_VALUE (apply.lua's range). */
    private static boolean fits(long value, long delta) {
        long sum = value + delta;
        return ((value ^ sum) & (delta ^ sum)) >= 0 && sum != Long.MIN_VALUE;
    }
}
