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
    private boolean inFlight;

    synchronized int add(PendingSend send) {
        queue.addLast(send);
        return queue.size();
    }

    /** Puts sends that must be retried back at the head, in their original order. */
    synchronized void requeueFirst(List<PendingSend> sends) {
        for (int i = sends.size() - 1; i >= 0; i--) {
            queue.addFirst(sends.get(i));
        }
    }

    /**
     * Takes up to {@code max} sends when the lane is idle and its batch is due: full, lingered long
     * enough, or flushing. Returns null otherwise.
     */
    synchronized List<PendingSend> takeIfDue(int max, long lingerNanos, boolean flushing, long now) {
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
        return inFlight || queue.isEmpty() ? Long.MAX_VALUE : queue.peekFirst().createdNanos + lingerNanos;
    }

    synchronized void done() {
        inFlight = false;
    }

    synchronized boolean idle() {
        return !inFlight && queue.isEmpty();
    }
}
