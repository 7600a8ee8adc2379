package io.tally.app.service;

import io.tally.producer.ProducerMetrics;
import io.tally.producer.internal.SendFailureReason;

import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Whether Redis refuses the service's sends now, for {@code /health/ready}: a Redis that still answers
 * reads can refuse every write (a read-only replica, out of memory, paused for writes, busy with a
 * script, a user without a command). Sees every send's outcome as the producer's metrics binding, which
 * it passes on. Not ready while a send was refused for such a reason in the last {@value #WINDOW_MS} ms,
 * after the latest send answered, and no send was answered in the last {@value #ANSWERED_MS} ms. So a
 * Redis that takes some writes and refuses others (one Cluster master out of memory, a user denied one
 * partition's keys) keeps the service ready, instead of flipping with each outcome: every instance behind
 * the load balancer shares that Redis, and taking them all out of rotation would refuse the writes that
 * still succeed. The refused sends are answered 503 one by one. One send answered, or
 * {@value #WINDOW_MS} ms without sends, makes it ready again, so that a service nobody sends to does not
 * stay out of rotation.
 */
final class SendRefusals implements ProducerMetrics {
    static final long WINDOW_MS = 5_000;
    static final long ANSWERED_MS = 1_000;

    private final ProducerMetrics next;
    private final LongSupplier clock;
    private volatile long answeredNanos;
    private volatile long refusedNanos;
    private volatile String refusedReason;

    SendRefusals(ProducerMetrics next) {
        this(next, System::nanoTime);
    }

    SendRefusals(ProducerMetrics next, LongSupplier nanoClock) {
        this.next = next;
        this.clock = nanoClock;
        this.answeredNanos = nanoClock.getAsLong();
        this.refusedNanos = answeredNanos;
    }

    /** Why Redis refuses sends now (the producer's reason, e.g. {@code read_only}), or empty. */
    Optional<String> now() {
        String reason = refusedReason;
        long refused = refusedNanos;
        long answered = answeredNanos;
        long now = clock.getAsLong();
        boolean refusedRecently = now - refused < TimeUnit.MILLISECONDS.toNanos(WINDOW_MS);
        boolean answeredRecently = now - answered < TimeUnit.MILLISECONDS.toNanos(ANSWERED_MS);
        return reason != null && refusedRecently && refused - answered > 0 && !answeredRecently
                ? Optional.of(reason) : Optional.empty();
    }

    @Override
    public void sent(String topic, String result, long latencyNanos) {
        if (result.equals("ok") || result.equals("duplicate") || result.equals("conflict")) {
            answeredNanos = clock.getAsLong();
        }
        next.sent(topic, result, latencyNanos);
    }

    @Override
    public void failed(String topic, String reason) {
        if (SendFailureReason.refusesWritesNow(reason)) {
            refusedReason = reason;
            refusedNanos = clock.getAsLong();
        }
        next.failed(topic, reason);
    }

    @Override
    public void batch(int size) {
        next.batch(size);
    }
}
