package io.tally.producer;

/**
 * A send that failed; {@link #retriable()} is true when Redis was unavailable or busy, or when the send may
 * have been written ({@link #maybeWritten()}).
 * It carries no stack trace, as every exception a send's future completes with ({@link TallyException}).
 */
public final class SendFailedException extends TallyException {
    private final boolean maybeWritten;

    /**
     * A failed send that was not written.
     *
     * @param message   what failed
     * @param retriable true when Redis was unavailable or busy
     * @param cause     the underlying error, or null
     */
    public SendFailedException(String message, boolean retriable, Throwable cause) {
        this(message, retriable, false, cause);
    }

    /**
     * A failed send.
     *
     * @param message      what failed
     * @param retriable    true when Redis was unavailable or busy, or when the send may have been written
     * @param maybeWritten true when an attempt's reply was lost, so the entry may be in the stream
     * @param cause        the underlying error, or null
     */
    public SendFailedException(String message, boolean retriable, boolean maybeWritten, Throwable cause) {
        super(message, retriable, cause, false);
        this.maybeWritten = maybeWritten;
    }

    /**
     * Whether the send may have been written: a send with an operation id whose reply was lost. Its outcome is
     * unknown; sending it again with the same id is safe (a repeat is a duplicate, never a second entry).
     *
     * @return true when the entry may be in the stream
     */
    public boolean maybeWritten() {
        return maybeWritten;
    }
}
