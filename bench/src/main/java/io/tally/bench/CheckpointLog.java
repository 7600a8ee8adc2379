package io.tally.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * When the latency poller first saw a partition's checkpoint at or past each value: the moment an
 * entry counts as applied. Looking an entry up here, rather than comparing with the checkpoint at the
 * time its acknowledgment reached the producer, keeps a late acknowledgment (the producer JVM
 * descheduled or in a GC pause) out of the produce → applied figure. Used by the poller thread only.
 */
final class CheckpointLog {
    /** Observations older than this are dropped; an id acknowledged later than that is matched late. */
    private static final long KEEP_MS = 60_000;

    private final List<long[]> seen = new ArrayList<>(); // {at ms, checkpoint ms, checkpoint seq}, ascending
    private int first;

    /** Records a checkpoint value read at {@code atMs}, if it moved. */
    void observe(long atMs, long[] checkpoint) {
        if (size() > 0) {
            long[] last = seen.get(seen.size() - 1);
            if (last[1] == checkpoint[0] && last[2] == checkpoint[1]) {
                return;
            }
        }
        seen.add(new long[]{atMs, checkpoint[0], checkpoint[1]});
        while (size() > 1 && seen.get(first)[0] < atMs - KEEP_MS) {
            first++;
        }
        if (first > 4096 && first > seen.size() / 2) {
            seen.subList(0, first).clear();
            first = 0;
        }
    }

    /** When the checkpoint was first seen at or past the id, or -1 if it has not been yet. */
    long firstSeenAtOrPast(long[] id) {
        int lo = first;
        int hi = seen.size() - 1;
        long found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long[] o = seen.get(mid);
            boolean past = o[1] != id[0] ? o[1] > id[0] : Long.compareUnsigned(o[2], id[1]) >= 0;
            if (past) {
                found = o[0];
                hi = mid - 1;
            } else {
                lo = mid + 1;
            }
        }
        return found;
    }

    private int size() {
        return seen.size() - first;
    }
}
