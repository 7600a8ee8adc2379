package io.tally.app.service;

import io.tally.producer.BackpressureException;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The room that every batch of the service shares in the producer's buffer: the lines sent and not settled yet
 * take at most half of {@code producer-buffer} sends and half of {@code producer-buffer-bytes}. Without it, a few
 * dozen concurrent batches fill the buffer, and their lines (and every single request's send) fail as
 * backpressure while the service runs out of heap holding them. A line past the room waits, so its batch's upload
 * stalls, until earlier lines settle; the other half of the buffer stays for single requests.
 *
 * <p>A line costs its bytes, and at least the buffer's average send ({@code producer-buffer-bytes / producer-buffer}),
 * so one count of permits bounds both sends and bytes. Waiting is fair: batches take turns.
 */
final class BatchLineRoom {
    private final Semaphore permits;
    private final int total;
    private final int leastCost;
    private final long waitMs;

    /**
     * @param bufferSends {@code producer-buffer}
     * @param bufferBytes {@code producer-buffer-bytes}
     * @param waitMs      longest wait for room ({@code send-timeout-ms}: by then lines in flight have settled)
     */
    BatchLineRoom(int bufferSends, long bufferBytes, long waitMs) {
        this.total = (int) Math.max(1, Math.min(Integer.MAX_VALUE, bufferBytes / 2));
        this.leastCost = (int) Math.max(1, Math.min(total, bufferBytes / bufferSends));
        this.permits = new Semaphore(total, true);
        this.waitMs = waitMs;
    }

    /**
     * Takes the room of a line of {@code bytes}, waiting for it.
     *
     * @return the cost to {@link #give} once the line's send has settled
     * @throws BackpressureException when no room came within the wait (nothing was sent)
     */
    int take(int bytes) {
        int cost = Math.min(total, Math.max(leastCost, bytes));
        try {
            if (permits.tryAcquire(cost, waitMs, TimeUnit.MILLISECONDS)) {
                return cost;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new BackpressureException("the service's batches hold their share of the producer's buffer (half of "
                + "producer-buffer and producer-buffer-bytes) and none of it came free within " + waitMs
                + " ms; Redis is slower than the batches' rate", 100);
    }

    void give(int cost) {
        permits.release(cost);
    }
}
