package io.tally.producer;

/**
 * A send whose outcome is unknown: a send without an operation id whose replies were lost (a timeout, a
 * broken connection after it left) until {@code send-timeout-ms}, so the entry may or may not be in the
 * stream, or, with {@code acks=replicas}, a send written on the master that no replica confirmed in time
 * (a failover may still lose it). The producer has stopped retrying it; retry it only with an operation
 * id (the same one), which makes a repeat a duplicate.
 * A trigger create, a counter delete, a trigger cancel or a dead letter's replay or purge that Redis did not answer
 * within {@code redis-timeout-ms} throws it too (Redis may still run the call); its message says how to settle it:
 * read the trigger a create names, or repeat the others, which are idempotent.
 * It carries no stack trace, as every exception a send's future completes with ({@link TallyException}).
 */
public final class OutcomeUnknownException extends TallyException {
    /**
     * A send or write of unknown outcome.
     *
     * @param message what happened
     * @param cause   the timeout or connection error, or null
     */
    public OutcomeUnknownException(String message, Throwable cause) {
        super(message, false, cause, false);
    }
}
