package io.tally.producer;

import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Appends counter operations and events to their partitions' streams.
 *
 * <p>Sends are asynchronous and batched: up to {@code producer-batch-size} entries wait at most
 * {@code producer-linger-ms} and leave as one pipeline. Each partition belongs to one in-flight lane,
 * so entries of a partition are written in the order they were sent. A send whose operation carries
 * an id is idempotent: within {@code dedupe-window-ms} one entry per id, stream and routing key
 * (counter or event type); a repeat with the same payload completes as a duplicate with the original
 * entry id, one with another payload fails with {@link DuplicateIdConflictException} and writes
 * nothing. Each producer also numbers its sends in a session of its own ({@code producer-idempotence},
 * on by default), so every send is retried on transient errors and lost replies until
 * {@code send-timeout-ms} and written once; a send without id that is still unsettled then fails with
 * {@link OutcomeUnknownException}, and so does any send that no replica confirmed with
 * {@code acks=replicas}. Without sessions only sends with an id are retried.
 *
 * <p>Invalid input throws {@link io.tally.common.model.InvalidEntryException} at once, naming the
 * field; so does a window the producer's {@code series-windows} lacks (keep it equal to the
 * processors', which dead-letter any other window). A full buffer or a partition backlog above {@code backlog-limit} fails the future with
 * {@link BackpressureException} at once; {@link #send(CounterOp, Duration)} waits for room instead.
 * Instances are thread-safe. Get one from {@link Tally#producer()}.
 */
public interface TallyProducer extends AutoCloseable {

    /**
     * Sends a counter operation to its counter's partition. Never blocks.
     *
     * @param op the operation
     * @return completes with where the entry landed once Redis has it (with {@code acks=replicas}, once a
     *         replica has it too), or fails with a {@link TallyException}: {@link BackpressureException} at
     *         once when there is no room, {@link DuplicateIdConflictException}, {@link OutcomeUnknownException},
     *         {@link StreamIdsExhaustedException} or {@link SendFailedException}
     * @throws io.tally.common.model.InvalidEntryException when a field is invalid, naming it; nothing is sent
     * @throws IllegalStateException when the producer is closed
     */
    CompletableFuture<SendResult> send(CounterOp op);

    /**
     * Sends an event to its type's partition, where processors evaluate the event triggers. Never blocks.
     *
     * @param event the event
     * @return completes as {@link #send(CounterOp)}'s future does
     * @throws io.tally.common.model.InvalidEntryException when a field is invalid, naming it; nothing is sent
     * @throws IllegalStateException when the producer is closed
     */
    CompletableFuture<SendResult> emit(Event event);

    /**
     * As {@link #send(CounterOp)}, but when the send is refused with {@link BackpressureException} (the
     * local buffer of {@code producer-buffer} sends or {@code producer-buffer-bytes} bytes is full, or the partition's backlog is at
     * {@code backlog-limit}) it waits for room, up to {@code maxBlock}, instead of failing at once. Use it
     * in a loop that sends faster than Redis takes: the loop slows to Redis's pace. The returned future
     * completes as {@link #send(CounterOp)}'s does; it fails with {@link BackpressureException} only when
     * there was still no room after {@code maxBlock}. {@link #send(CounterOp)} itself never blocks.
     *
     * @param op       the operation
     * @param maxBlock longest wait for room
     * @return the send's future
     * @throws io.tally.common.model.InvalidEntryException when a field is invalid, naming it; nothing is sent
     * @throws InterruptedException when the thread is interrupted while it waits; nothing was sent then
     */
    default CompletableFuture<SendResult> send(CounterOp op, Duration maxBlock) throws InterruptedException {
        return RoomWaiter.send(() -> send(op), maxBlock);
    }

    /**
     * As {@link #send(CounterOp, Duration)} for an event: waits up to {@code maxBlock} for room.
     *
     * @param event    the event
     * @param maxBlock longest wait for room
     * @return the send's future
     * @throws io.tally.common.model.InvalidEntryException when a field is invalid, naming it; nothing is sent
     * @throws InterruptedException when the thread is interrupted while it waits; nothing was sent then
     */
    default CompletableFuture<SendResult> emit(Event event, Duration maxBlock) throws InterruptedException {
        return RoomWaiter.send(() -> emit(event), maxBlock);
    }

    /**
     * Sends {@code op} and waits for its result: up to {@code timeout} in all, waiting for room first as
     * {@link #send(CounterOp, Duration)} does.
     *
     * @param op      the operation
     * @param timeout longest wait, for room and result together
     * @return where the entry landed
     * @throws TallyException        the send's failure ({@link BackpressureException} when there was no room
     *                               within {@code timeout})
     * @throws TimeoutException      when the send was queued but its result did not come within {@code timeout}:
     *                               it may still be written (see {@link OutcomeUnknownException})
     * @throws InterruptedException  when the thread is interrupted while it waits
     */
    default SendResult sendAndWait(CounterOp op, Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        CompletableFuture<SendResult> result = send(op, timeout);
        try {
            return result.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * Sends {@link CounterOp#incr}: adds {@code by} to {@code counter}.
     *
     * @param counter counter name
     * @param by      the amount
     * @return the send's future, as {@link #send(CounterOp)}'s
     */
    default CompletableFuture<SendResult> incr(String counter, long by) {
        return send(CounterOp.incr(counter, by));
    }

    /**
     * Sends {@link CounterOp#decr}: subtracts {@code by} from {@code counter}.
     *
     * @param counter counter name
     * @param by      the amount
     * @return the send's future, as {@link #send(CounterOp)}'s
     */
    default CompletableFuture<SendResult> decr(String counter, long by) {
        return send(CounterOp.decr(counter, by));
    }

    /**
     * Sends {@link CounterOp#set}: sets {@code counter} to {@code value}.
     *
     * @param counter counter name
     * @param value   the new value
     * @return the send's future, as {@link #send(CounterOp)}'s
     */
    default CompletableFuture<SendResult> set(String counter, long value) {
        return send(CounterOp.set(counter, value));
    }

    /**
     * Sends {@link CounterOp#reset}: sets {@code counter} to 0.
     *
     * @param counter counter name
     * @return the send's future, as {@link #send(CounterOp)}'s
     */
    default CompletableFuture<SendResult> reset(String counter) {
        return send(CounterOp.reset(counter));
    }

    /**
     * The namespace's partition count.
     *
     * @return P
     */
    int partitions();

    /** Sends everything queued now and waits until each of those sends has succeeded or failed. */
    void flush();

    /**
     * Admits no more sends (a send from then on throws {@link IllegalStateException}), flushes those queued,
     * then releases the producer's resources; returns while other threads keep sending.
     */
    @Override
    void close();
}
