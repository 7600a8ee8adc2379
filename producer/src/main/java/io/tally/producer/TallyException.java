package io.tally.producer;

/** Base of the producer's errors; {@link #retriable()} tells a caller whether trying again can help. */
public class TallyException extends RuntimeException {
    private final boolean retriable;

    /**
     * An error of the producer.
     *
     * @param message   what went wrong
     * @param retriable whether trying again can help
     * @param cause     the underlying error, or null
     */
    public TallyException(String message, boolean retriable, Throwable cause) {
        super(message, cause);
        this.retriable = retriable;
    }

    /**
     * An error of the producer, with or without a stack trace. The exceptions a send's future completes with
     * have none: they are made on the producer's own thread, whose stack says nothing of the caller
     * ({@code join()} and {@code get()} wrap them in an exception with the caller's stack), and a Redis outage
     * fails up to {@code producer-buffer} sends at once, where a stack trace each would cost more memory and
     * time than the sends themselves.
     *
     * @param message            what went wrong
     * @param retriable          whether trying again can help
     * @param cause              the underlying error, or null
     * @param writableStackTrace whether the stack trace is filled in
     */
    protected TallyException(String message, boolean retriable, Throwable cause, boolean writableStackTrace) {
        super(message, cause, true, writableStackTrace);
        this.retriable = retriable;
    }

    /**
     * Whether trying again can help.
     *
     * @return true when a retry may succeed
     */
    public boolean retriable() {
        return retriable;
    }
}
