package io.tally.producer.internal;

import io.tally.producer.BackpressureException;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendFailedException;
import io.tally.producer.TallyException;
import io.tally.producer.read.UnreadableStateException;

import java.util.Optional;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Admission and queueing of sends (Kafka's record accumulator): refuses a send while its partition's
 * backlog or the producer's buffer (in sends, and in bytes: an entry may be 6.5 MB) is at its limit,
 * queues the others on their partition's lane, and counts the sends not finished yet, which flush() waits for.
 */
final class SendAccumulator {
    private final Lane[] lanes;
    private final int batchSize;
    private final long lingerNanos;
    private final int bufferLimit;
    private final long bufferBytesLimit;
    private final BacklogMonitor backlog;
    private final ProducerMetrics metrics;
    private final AtomicLong outstanding = new AtomicLong();
    private final AtomicLong outstandingBytes = new AtomicLong();
    private final Object flushMonitor = new Object();
    /**
     * Sends not finished, by the parity of the flush generation they were admitted in: a flush waits only for
     * those admitted before it began, however fast other threads keep sending. Flushes take turns
     * ({@link #flushes}), so two generations are ever open: the one a flush waits for, and the next.
     */
    private final AtomicLong[] byGeneration = {new AtomicLong(), new AtomicLong()};
    private volatile int generation;
    private final Object flushes = new Object();
    private volatile boolean flushing;
    private volatile boolean closed;

    SendAccumulator(int laneCount, int batchSize, long lingerNanos, int bufferLimit, long bufferBytesLimit,
                    BacklogMonitor backlog, ProducerMetrics metrics) {
        this.lanes = new Lane[laneCount];
        for (int i = 0; i < laneCount; i++) {
            lanes[i] = new Lane();
        }
        this.batchSize = batchSize;
        this.lingerNanos = lingerNanos;
        this.bufferLimit = bufferLimit;
        this.bufferBytesLimit = bufferBytesLimit;
        this.backlog = backlog;
        this.metrics = metrics;
    }

    /**
     * Queues a send on its lane, or completes its future with a {@link BackpressureException}. Returns
     * whether the sender should wake now: the lane has just filled a batch, or sends do not linger. Sends
     * queued beyond a full batch wake nobody: the lane is busy then, and the sender looks at it again when
     * its pipeline completes (an unpark per send cost the sending threads a system call and the sender a
     * context switch each, with thousands of sends queued behind a busy lane).
     *
     * @throws IllegalStateException when the producer is closed
     */
    boolean add(PendingSend send) {
        if (closed) {
            throw new IllegalStateException("producer is closed");
        }
        long over = backlog.overLimit(send.partition);
        if (over >= 0) {
            reject(send, new BackpressureException("partition " + send.partition + " has a backlog of " + over
                    + " entries, at or above backlog-limit " + backlog.limit() + "; processors are behind or stopped",
                    BacklogMonitor.INTERVAL_MS));
            return false;
        }
        Optional<BacklogMonitor.ForeignStream> foreign = backlog.foreignStream(send.partition, send.topic);
        if (foreign.isPresent()) {
            refuseForeign(send, foreign.get());
            return false;
        }
        if (outstanding.incrementAndGet() > bufferLimit) {
            outstanding.decrementAndGet();
            reject(send, new BackpressureException("producer buffer is full (" + bufferLimit
                    + " sends waiting, producer-buffer); Redis is slower than the send rate", 100));
            return false;
        }
        // a send into an empty buffer is taken whatever its size, so no valid entry is refused for good
        long bytes = outstandingBytes.addAndGet(send.bytes);
        if (bytes > bufferBytesLimit && bytes > send.bytes) {
            outstandingBytes.addAndGet(-send.bytes);
            outstanding.decrementAndGet();
            reject(send, new BackpressureException("producer buffer is full (" + (bytes - send.bytes)
                    + " bytes waiting, this send " + send.bytes + " bytes, producer-buffer-bytes " + bufferBytesLimit
                    + "); Redis is slower than the send rate", 100));
            return false;
        }
        send.generation = generation & 1;
        byGeneration[send.generation].incrementAndGet();
        if (closed) {
            // closed since the check above: the sender may already have seen nothing outstanding and stopped
            finished(send);
            throw new IllegalStateException("producer is closed");
        }
        int queued = lanes[send.partition % lanes.length].add(send);
        return queued == batchSize || lingerNanos == 0;
    }

    /**
     * A send to a stream that another program made a key of another type, as the backlog monitor last saw it:
     * refused naming the key (not retriable: it takes an operator's repair), rather than sent to Redis to fail there
     * with a bare WRONGTYPE. The cause says what is unreadable ({@link UnreadableStateException}).
     */
    private void refuseForeign(PendingSend send, BacklogMonitor.ForeignStream foreign) {
        String problem = "the key holds a " + foreign.type() + ", not a stream";
        UnreadableStateException unreadable = new UnreadableStateException(null, foreign.key(), problem, null);
        metrics.sent(send.topicName(), "error", 0);
        metrics.failed(send.topicName(), SendFailureReason.UNREADABLE_STATE);
        send.future.completeExceptionally(new SendFailedException("send to partition " + send.partition
                + " refused, nothing written: " + unreadable.getMessage() + "; delete or repair that key "
                + "(docs/operations.md)", false, unreadable));
    }

    private void reject(PendingSend send, TallyException e) {
        metrics.sent(send.topicName(), "backpressure", 0);
        send.future.completeExceptionally(e);
    }

    /** Counts a finished send out of the buffer; wakes flush() when none of its generation is left. */
    void finished(PendingSend send) {
        finished(1, send.bytes, 1 - send.generation, send.generation);
    }

    /**
     * Counts finished sends out of the buffer in one go (a batch's: the counters are shared with the sending
     * threads, so each update costs a cache line's trip between cores): {@code sends} sends of {@code bytes}
     * bytes, {@code inGeneration0} and {@code inGeneration1} of them admitted in each flush generation.
     */
    void finished(int sends, long bytes, int inGeneration0, int inGeneration1) {
        if (sends == 0) {
            return;
        }
        outstandingBytes.addAndGet(-bytes);
        boolean generationDone = inGeneration0 > 0 && byGeneration[0].addAndGet(-inGeneration0) == 0;
        generationDone |= inGeneration1 > 0 && byGeneration[1].addAndGet(-inGeneration1) == 0;
        if (outstanding.addAndGet(-sends) == 0 || generationDone && flushing) {
            synchronized (flushMonitor) {
                flushMonitor.notifyAll();
            }
        }
    }

    /**
     * Waits until every send admitted before this call has finished (sends admitted meanwhile go on without
     * it), running {@code nudge} (wake the sender) every 50 ms.
     */
    void awaitAdmitted(Runnable nudge) throws InterruptedException {
        synchronized (flushes) {
            AtomicLong before = byGeneration[generation & 1];
            generation = generation + 1;
            synchronized (flushMonitor) {
                while (before.get() > 0) {
                    flushMonitor.wait(50);
                    nudge.run();
                }
            }
        }
    }

    boolean hasOutstanding() {
        return outstanding.get() > 0;
    }

    /** While flushing, every lane's batch is due at once. */
    void flushing(boolean on) {
        flushing = on;
    }

    /** Whether lanes send what they hold without lingering: flushing or closed. */
    boolean draining() {
        return flushing || closed;
    }

    /** Admits no more sends; those queued are still sent. */
    void close() {
        closed = true;
    }

    boolean closed() {
        return closed;
    }

    Lane[] lanes() {
        return lanes;
    }

    int batchSize() {
        return batchSize;
    }

    long lingerNanos() {
        return lingerNanos;
    }
}
