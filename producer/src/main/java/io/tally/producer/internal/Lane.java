package io.tally.producer.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The sends of a fixed share of the partitions. A lane has at most one pipeline in flight, which is
 * what keeps each partition's entries in send order while several lanes run in parallel.
 */
final class Lane {
    private final ArrayDeque<PendingSend> queue = new ArrayDeque<>();
    /** Sends that go again exactly as they went (they keep their sequence numbers), or null. */
    private List<PendingSend> again;
    private boolean inFlight;

    synchronized int add(PendingSend send) {
        queue.addLast(send);
        return queue.size();
    }

    /**
     * Puts sends that must be retried back at the head, in their original order. Sends that keep their
     * sequence numbers go again alone, as the same batch, without later sends: the append script then
     * finds exactly the sends it may have written, and can answer each with its entry id.
     */
    synchronized void requeueFirst(List<PendingSend> sends) {
        if (sends.stream().anyMatch(PendingSend::numbered)) {
            again = again == null ? new ArrayList<>(sends) : concat(sends, again);
            return;
        }
        for (int i = sends.size() - 1; i >= 0; i--) {
            queue.addFirst(sends.get(i));
        }
    }

    private static List<PendingSend> concat(List<PendingSend> first, List<PendingSend> then) {
        List<PendingSend> all = new ArrayList<>(first);
        all.addAll(then);
        return all;
    }

    /**
     * Takes up to {@code max} sends when the lane is idle and its batch is due: full, lingered long
     * enough, or flushing. Returns null otherwise.
     */
    synchronized List<PendingSend> takeIfDue(int max, long lingerNanos, boolean flushing, long now) {
        if (!inFlight && again != null) {
            List<PendingSend> batch = again;
            again = null;
            inFlight = true;
            return batch;
        }
        if (inFlight || queue.isEmpty()) {
            return null;
        }
        boolean due = flushing || queue.size() >= max || now - queue.peekFirst().createdNanos >= lingerNanos;
        if (!due) {
            return null;
        }
        List<PendingSend> batch = new ArrayList<>(Math.min(max, queue.size()));
        while (batch.size() < max && !queue.isEmpty()) {
            batch.add(queue.pollFirst());
        }
        inFlight = true;
        return batch;
    }

    /** Nanos at which the oldest queued send's linger ends, or Long.MAX_VALUE. */
    synchronized long dueAt(long lingerNanos) {
        if (!inFlight && again != null) {
            return 0;
        }
        return inFlight || queue.isEmpty() ? Long.MAX_VALUE : queue.peekFirst().createdNanos + lingerNanos;
    }

    synchronized void done() {
        inFlight = false;
    }

    synchronized boolean idle() {
        return !inFlight && queue.isEmpty() && again == null;
    }
}
