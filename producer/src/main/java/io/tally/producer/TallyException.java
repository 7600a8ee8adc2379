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
     * Whether trying again can help.
     *
     * @return true when a retry may succeed
     */
    public boolean retriable() {
        return retriable;
    }
}
