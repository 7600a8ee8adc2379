package io.tally.app.service;

import io.tally.producer.ProducerMetrics;
import io.tally.producer.internal.SendFailureReason;

import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Whether Redis refuses the service's sends now, for {@code /health/ready}: a Redis that still answers
 * reads can refuse every write (a read-only replica, out of memory, paused for writes, busy with a
 * script, a user without a command). Sees every send's outcome as the producer's metrics binding, which
 * it passes on. Not ready while the latest send outcome is such a refusal of the last {@value #WINDOW_MS}
 * ms; one send answered again, or {@value #WINDOW_MS} ms without sends, makes it ready again, so that a
 * service nobody sends to does not stay out of rotation.
 */
final class SendRefusals implements ProducerMetrics {
    static final long WINDOW_MS = 5_000;

    private final ProducerMetrics next;
    private volatile long answeredNanos = System.nanoTime();
    private volatile long refusedNanos = answeredNanos;
    private volatile String refusedReason;

    SendRefusals(ProducerMetrics next) {
        this.next = next;
    }

    /** Why Redis refuses sends now (the producer's reason, e.g. {@code read_only}), or empty. */
    Optional<String> now() {
        String reason = refusedReason;
        long refused = refusedNanos;
        boolean recent = System.nanoTime() - refused < TimeUnit.MILLISECONDS.toNanos(WINDOW_MS);
        return reason != null && recent && refused - answeredNanos > 0 ? Optional.of(reason) : Optional.empty();
    }

    @Override
    public void sent(String topic, String result, long latencyNanos) {
        if (result.equals("ok") || result.equals("duplicate") || result.equals("conflict")) {
            answeredNanos = System.nanoTime();
        }
        next.sent(topic, result, latencyNanos);
    }

    @Override
    public void failed(String topic, String reason) {
        if (SendFailureReason.refusesWritesNow(reason)) {
            refusedReason = reason;
            refusedNanos = System.nanoTime();
        }
        next.failed(topic, reason);
    }

    @Override
    public void batch(int size) {
        next.batch(size);
    }
}
