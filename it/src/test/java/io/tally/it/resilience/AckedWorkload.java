package io.tally.it.resilience;

import io.tally.common.model.CounterOp;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.SendResult;
import io.tally.producer.TallyException;
import io.tally.producer.TallyProducer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A producer workload for fault tests: {@code incr by 1} on a fixed set of counters, every send with
 * an operation id. The model holds only acknowledged sends. With {@code retryUntilAcked}, a failed
 * send is sent again with the same id until it is acknowledged (safe: the dedupe script keeps one
 * entry per id), so at the end the model is every operation sent and must equal the counters exactly.
 * Every acknowledged send is kept with where it landed and what its earlier attempts failed with
 * ({@link #acks()}), so that a test whose counters fall short can tell where each missing operation went.
 */
final class AckedWorkload implements AutoCloseable {
    private final TallyProducer producer;
    private final String prefix;
    private final int counters;
    private final boolean retryUntilAcked;
    private final Map<String, AtomicLong> model = new ConcurrentHashMap<>();
    private final Map<String, Ack> acks = new ConcurrentHashMap<>();
    private final Map<String, List<String>> failedAttempts = new ConcurrentHashMap<>();
    private final Map<String, Throwable> lastFailure = new ConcurrentHashMap<>();
    private final Semaphore inFlight = new Semaphore(500);
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong nonRetriable = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicReference<String> firstNonRetriable =
            new java.util.concurrent.atomic.AtomicReference<>();
    private final Thread thread;
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor();

    AckedWorkload(TallyProducer producer, String prefix, int counters, boolean retryUntilAcked, long ratePerSecond) {
        this.producer = producer;
        this.prefix = prefix;
        this.counters = counters;
        this.retryUntilAcked = retryUntilAcked;
        this.thread = new Thread(() -> run(ratePerSecond), "test-workload");
        thread.start();
    }

    private void run(long ratePerSecond) {
        long start = System.nanoTime();
        long i = 0;
        while (running.get()) {
            long due = start + i * TimeUnit.SECONDS.toNanos(1) / ratePerSecond;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                sleepNanos(wait);
                continue;
            }
            inFlight.acquireUninterruptibly();
            send(CounterOp.incr(prefix + (i % counters), 1).withId(prefix + "op" + i));
            sent.incrementAndGet();
            i++;
        }
    }

    private void send(CounterOp op) {
        long sentAt = System.currentTimeMillis();
        producer.send(op).whenComplete((result, error) -> {
            if (error == null) {
                List<String> failed = failedAttempts.getOrDefault(op.id(), List.of());
                acks.put(op.id(), new Ack(op.id(), op.counter(), result, failed.size() + 1, sentAt,
                        System.currentTimeMillis(), failed));
                lastFailure.remove(op.id());
                model.computeIfAbsent(op.counter(), c -> new AtomicLong()).incrementAndGet();
                acked.incrementAndGet();
                inFlight.release();
                return;
            }
            failures.incrementAndGet();
            Throwable cause = error instanceof TallyException ? error : error.getCause();
            failedAttempts.computeIfAbsent(op.id(), id -> java.util.Collections.synchronizedList(new ArrayList<>()))
                    .add(System.currentTimeMillis() + " " + cause);
            lastFailure.put(op.id(), cause);
            // outcome unknown (acks=replicas: on the master, no replica confirmed yet): the fix is the
            // same id again, which this workload does; any other non-retriable failure is a finding
            if (!(cause instanceof TallyException te) || !(te.retriable() || te instanceof OutcomeUnknownException)) {
                nonRetriable.incrementAndGet();
                firstNonRetriable.compareAndSet(null, String.valueOf(cause));
            }
            if (retryUntilAcked && !retries.isShutdown()) {
                retries.schedule(() -> send(op), 100, TimeUnit.MILLISECONDS);
            } else {
                inFlight.release();
            }
        });
    }

    /** Stops sending and waits until every send in flight is acknowledged (or given up). */
    void stopAndDrain(long timeoutSeconds) {
        running.set(false);
        try {
            thread.join();
            if (!inFlight.tryAcquire(500, timeoutSeconds, TimeUnit.SECONDS)) {
                throw new AssertionError("sends still unacknowledged after " + timeoutSeconds + " s: "
                        + (500 - inFlight.availablePermits()));
            }
            inFlight.release(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Counter -> number of acknowledged increments. */
    Map<String, Long> model() {
        Map<String, Long> out = new java.util.TreeMap<>();
        model.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** Operation id -> the acknowledged send of it. */
    Map<String, Ack> acks() {
        return Map.copyOf(acks);
    }

    /** Operation id -> what the last send of it failed with, for every operation not acknowledged. */
    Map<String, Throwable> unacknowledged() {
        return Map.copyOf(lastFailure);
    }

    long sent() {
        return sent.get();
    }

    long acked() {
        return acked.get();
    }

    long failures() {
        return failures.get();
    }

    long nonRetriableFailures() {
        return nonRetriable.get();
    }

    /** The first failure that was not marked retriable, for assertion messages. */
    String firstNonRetriableFailure() {
        return firstNonRetriable.get();
    }

    @Override
    public void close() {
        running.set(false);
        retries.shutdownNow();
    }

    /**
     * An acknowledged operation: where it landed ({@code result}), how many sends of it it took, when its
     * last send left and was acknowledged (epoch ms), and each failed earlier attempt ({@code <epoch ms> <cause>}).
     */
    record Ack(String opId, String counter, SendResult result, int attempts, long lastSentAtMs, long ackedAtMs,
               List<String> failedAttempts) {
    }

    private static void sleepNanos(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
