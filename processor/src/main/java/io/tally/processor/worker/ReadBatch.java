package io.tally.processor.worker;

import org.redisson.api.stream.StreamMessageId;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Entries of one input stream that the processor read itself (XREADGROUP '>') and has not applied yet.
 * They sit in this consumer's pending list until a script applies and acknowledges them.
 */
final class ReadBatch {
    private final StreamMessageId[] ids;
    final List<Map<String, String>> entries;
    /** The fast script declined it (or cannot take it): apply.lua re-reads it from the pending list. */
    boolean slow;
    private CounterFold fold;
    private boolean folded;

    ReadBatch(Map<StreamMessageId, Map<String, String>> read) {
        this.ids = read.keySet().toArray(new StreamMessageId[0]);
        this.entries = new ArrayList<>(read.values());
    }

    int size() {
        return ids.length;
    }

    String first() {
        return ids[0].toString();
    }

    String last() {
        return ids[ids.length - 1].toString();
    }

    /** Millisecond part of the i-th id (Redis time when the entry was added). */
    long millis(int i) {
        return ids[i].getId0();
    }

    /** The ids separated by spaces, as the fast script takes them. */
    String joinedIds() {
        StringBuilder out = new StringBuilder(ids.length * 17);
        for (StreamMessageId id : ids) {
            out.append(id.getId0()).append('-').append(id.getId1()).append(' ');
        }
        return out.toString();
    }

    /** The id right before the first entry: apply.lua's cursor for reading this batch from the pending list. */
    String cursorBefore() {
        long ms = ids[0].getId0();
        long seq = ids[0].getId1();
        if (seq != 0) {
            return ms + "-" + (seq - 1);
        }
        return ms == 0 ? "0-0" : (ms - 1) + "-18446744073709551615";
    }

    /** The batch folded per counter, or null when apply.lua must judge it entry by entry. */
    CounterFold fold(CounterNames names, SeriesRules series) {
        if (!folded) {
            long[] idMillis = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                idMillis[i] = ids[i].getId0();
            }
            fold = CounterFold.of(entries, idMillis, names, series);
            folded = true;
        }
        return fold;
    }
}
