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
     * A send failed (its result was {@code error} or {@code unknown}), and why.
     *
     * @param topic  {@code ops} or {@code events}
     * @param reason {@code unreachable}, {@code timeout}, {@code out_of_memory}, {@code read_only},
     *               {@code busy}, {@code loading}, {@code no_permission}, {@code cluster},
     *               {@code session_lost}, {@code namespace}, {@code stream_ids_exhausted},
     *               {@code replica_timeout}, {@code script_error}, {@code unreadable_state} (the stream is a key
     *               another program made of another type) or {@code other}
     */
    default void failed(String topic, String reason) {
    }

    /**
     * A pipeline left for Redis.
     *
     * @param size entries in it
     */
    default void batch(int size) {
    }
}
