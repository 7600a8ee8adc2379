package io.tally.producer;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The blocking sends of {@link TallyProducer}: a send refused by backpressure is refused at once (its future
 * is already failed when {@code send} returns, nothing written), so waiting for room is trying again after a
 * short park. The park starts at 50 µs, the time a pipeline takes to drain a few hundred sends, and doubles
 * up to 2 ms, so that a sender blocked by a stopped processor does not spin.
 */
final class RoomWaiter {
    private static final long FIRST_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    private static final long LONGEST_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private RoomWaiter() {
    }

    /** The first attempt that is not refused by backpressure, or the last refused one at {@code maxBlock}. */
    static CompletableFuture<SendResult> send(Supplier<CompletableFuture<SendResult>> attempt, Duration maxBlock)
            throws InterruptedException {
        CompletableFuture<SendResult> result = attempt.get();
        if (!refused(result)) {
            return result;
        }
        long deadline = System.nanoTime() + maxBlock.toNanos();
        long park = FIRST_PARK_NANOS;
        while (refused(result)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return result;
            }
            LockSupport.parkNanos(Math.min(park, left));
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted while waiting for room to send");
            }
            park = Math.min(park * 2, LONGEST_PARK_NANOS);
            result = attempt.get();
        }
        return result;
    }

    private static boolean refused(CompletableFuture<SendResult> f) {
        if (!f.isCompletedExceptionally()) {
            return false;
        }
        try {
            f.getNow(null);
            return false;
        } catch (CompletionException e) {
            return e.getCause() instanceof BackpressureException;
        } catch (CancellationException e) {
            return false;
        }
    }
}
