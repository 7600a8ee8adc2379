package io.tally.producer;

/**
 * A send without an operation id whose outcome is unknown (a timeout or a broken connection after
 * the command left): the entry may or may not be in the stream. The producer does not retry it,
 * since that could apply it twice; give sends an id to make them safely retriable.
 */
public final class OutcomeUnknownException extends TallyException {
    public OutcomeUnknownException(String message, Throwable cause) {
        super(message, false, cause);
    }
}
