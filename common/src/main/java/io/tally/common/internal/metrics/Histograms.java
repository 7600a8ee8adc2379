package io.tally.common.internal.metrics;

import java.time.Duration;

/**
 * Bucket boundaries shared by Tally's latency histograms, explicit so that every process exports the
 * same {@code le} labels (dashboards and alerts aggregate across processes) and few of them.
 */
public final class Histograms {
    private Histograms() {
    }

    /** From 1 ms to 60 s: send, apply and end-to-end latencies and trigger lateness. */
    public static Duration[] latencyBuckets() {
        return new Duration[] {
            Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
            Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)
        };
    }

    /** Batch sizes, in entries, up to the 1,000-entry cap. */
    public static double[] batchBuckets() {
        return new double[] {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000};
    }
}
