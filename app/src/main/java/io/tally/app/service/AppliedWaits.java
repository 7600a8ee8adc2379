package io.tally.app.service;

import io.tally.common.internal.redis.RedisFailures;
import io.tally.common.internal.concurrent.DaemonThreads;
import io.tally.producer.internal.read.StreamIds;
import io.tally.producer.read.TallyReader;
import io.tally.producer.read.Topic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Read-your-writes waits that hold no thread: each wait is a future, and one timer polls, every
 * {@link #TICK_MS} ms, the checkpoint of each partition that has waits (one asynchronous read per
 * partition, however many waits it has), completing the waits it has reached with {@code true} and
 * the ones past their deadline with {@code false}. At most {@code api-max-waits} waits are open at
 * once; beyond that a wait is refused at once with 503, so a flood of waits costs bounded memory and
 * Redis load, and health and sends keep their threads.
 */
final class AppliedWaits implements AutoCloseable {
    static final int TICK_MS = 10;
    private static final Logger log = LoggerFactory.getLogger(AppliedWaits.class);

    private final TallyReader reader;
    private final int maxWaits;
    private final AtomicInteger open = new AtomicInteger();
    private final List<Queue<Waiter>> waiters;
    private final AtomicBoolean[] polling;
    private final ScheduledExecutorService timer;
    private volatile boolean closed;

    AppliedWaits(TallyReader reader, int maxWaits) {
        this.reader = reader;
        this.maxWaits = maxWaits;
        int partitions = reader.partitions();
        this.waiters = new ArrayList<>(partitions);
        this.polling = new AtomicBoolean[partitions];
        for (int p = 0; p < partitions; p++) {
            waiters.add(new ConcurrentLinkedQueue<>());
            polling[p] = new AtomicBoolean();
        }
        this.timer = DaemonThreads.scheduler("tally-api-waits");
        timer.scheduleWithFixedDelay(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * A future completed with whether the partition's ops checkpoint reached {@code entryId} within
     * {@code waitMs}, or exceptionally when the checkpoint cannot be read.
     *
     * @throws ApiProblem 503 when {@code api-max-waits} waits are already open, or the service is stopping
     */
    CompletableFuture<Boolean> await(int partition, String entryId, long waitMs) {
        if (closed) {
            throw ApiProblem.unavailable("tally service: stopping", 1, null);
        }
        if (open.incrementAndGet() > maxWaits) {
            open.decrementAndGet();
            throw ApiProblem.unavailable("tally service: " + maxWaits + " read-your-writes waits are open, the most "
                    + "it holds at once (api-max-waits)", 1, null);
        }
        long now = System.nanoTime();
        Waiter w = new Waiter(entryId, now, now + TimeUnit.MILLISECONDS.toNanos(waitMs));
        w.result.whenComplete((applied, error) -> open.decrementAndGet());
        waiters.get(partition).add(w);
        return w.result;
    }

    /** Waits open now. */
    int open() {
        return open.get();
    }

    private void tick() {
        try {
            for (int p = 0; p < polling.length; p++) {
                if (!waiters.get(p).isEmpty() && polling[p].compareAndSet(false, true)) {
                    poll(p);
                }
            }
        } catch (RuntimeException e) {
            // Never let the timer die: its waits would then only end at close.
            log.warn("read-your-writes poll failed: {}", RedisFailures.line(e, null));
        }
    }

    private void poll(int partition) {
        long issued = System.nanoTime();
        try {
            reader.checkpointAsync(partition, Topic.OPS).whenComplete((checkpoint, error) -> {
                try {
                    settle(partition, issued, checkpoint, error);
                } catch (RuntimeException e) {
                    settle(partition, issued, null, e); // never leave a wait that no later poll can end
                } finally {
                    polling[partition].set(false);
                }
            });
        } catch (RuntimeException e) {
            settle(partition, issued, null, e);
            polling[partition].set(false);
        }
    }

    /**
     * Completes the waits this checkpoint answers. A wait added after the read was issued may be
     * answered {@code true} (checkpoints only grow) but not {@code false}: it gets a fresh read.
     */
    private void settle(int partition, long issued, String checkpoint, Throwable error) {
        long now = System.nanoTime();
        for (Iterator<Waiter> it = waiters.get(partition).iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (error != null) {
                it.remove();
                w.result.completeExceptionally(error);
            } else if (StreamIds.compare(checkpoint, w.entryId) >= 0) {
                it.remove();
                w.result.complete(true);
            } else if (now - w.deadline >= 0 && w.added - issued <= 0) {
                it.remove();
                w.result.complete(false);
            }
        }
    }

    /** Stops polling; open waits end with {@code false}. */
    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        for (Queue<Waiter> q : waiters) {
            for (Waiter w; (w = q.poll()) != null; ) {
                w.result.complete(false);
            }
        }
    }

    private record Waiter(String entryId, long added, long deadline, CompletableFuture<Boolean> result) {
        Waiter(String entryId, long added, long deadline) {
            this(entryId, added, deadline, new CompletableFuture<>());
        }
    }
}
