package io.tally.producer;

/**
 * What the producer reports; implementations must be cheap and never throw. {@link #NOOP} keeps the
 * send path free of null checks.
 */
public interface ProducerMetrics {
    ProducerMetrics NOOP = new ProducerMetrics() {
    };

    /**
     * A send finished.
     *
     * @param topic  {@code ops} or {@code events}
     * @param result {@code ok}, {@code duplicate}, {@code error}, {@code unknown} or {@code backpressure}
     */
    default void sent(String topic, String result, long latencyNanos) {
    }

    /** A pipeline of {@code size} entries left for Redis. */
    default void batch(int size) {
    }
}
