package io.tally.producer;

/** A send that failed; {@link #retriable()} is true when Redis was unavailable or busy. */
public final class SendFailedException extends TallyException {
    public SendFailedException(String message, boolean retriable, Throwable cause) {
        super(message, retriable, cause);
    }
}
