package io.tally.producer;

/** Base of the producer's errors; {@link #retriable()} tells a caller whether trying again can help. */
public class TallyException extends RuntimeException {
    private final boolean retriable;

    public TallyException(String message, boolean retriable, Throwable cause) {
        super(message, cause);
        this.retriable = retriable;
    }

    public boolean retriable() {
        return retriable;
    }
}
