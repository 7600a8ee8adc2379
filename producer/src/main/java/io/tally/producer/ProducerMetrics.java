package io.tally.producer;

/**
 * What the producer reports; implementations must be cheap and never throw. {@link #NOOP} keeps the
 * send path free of null checks.
 */
public interface ProducerMetrics {
    /** Reports nothing. */
    ProducerMetrics NOOP = new ProducerMetrics() {
    };

    /**
     * A send finished.
     *
     * @param topic        {@code ops} or {@code events}
     * @param result       {@code ok}, {@code duplicate}, {@code error}, {@code unknown} or {@code backpressure}
     * @param latencyNanos from the call to the send's completion, ns
     */
    default void sent(String topic, String result, long latencyNanos) {
    }

    /**
     * A pipeline left for Redis.
     *
     * @param size entries in it
     */
    default void batch(int size) {
    }
}
