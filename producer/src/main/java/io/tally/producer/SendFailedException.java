package io.tally.producer;

/** A send that failed; {@link #retriable()} is true when Redis was unavailable or busy. */
public final class SendFailedException extends TallyException {
    /**
     * A failed send.
     *
     * @param message   what failed
     * @param retriable true when Redis was unavailable or busy
     * @param cause     the underlying error, or null
     */
    public SendFailedException(String message, boolean retriable, Throwable cause) {
        super(message, retriable, cause);
    }
}
