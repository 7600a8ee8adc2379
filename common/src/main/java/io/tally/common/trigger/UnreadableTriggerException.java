package io.tally.common.trigger;

import java.util.Optional;

/**
 * A trigger whose stored fields Tally cannot read: any program may write a partition's triggers hash, and one
 * wrote a definition that is not a valid trigger, a status Tally does not know, or a time that is not a
 * number. The request that met it was fine; reading the same trigger again fails the same way until someone
 * repairs or deletes its fields, so it is not retriable.
 */
public final class UnreadableTriggerException extends RuntimeException {
    private final String id;
    private final String problem;
    private final Boolean canceled;

    /**
     * A trigger read that met stored fields Tally cannot read.
     *
     * @param id      the trigger's id
     * @param problem what is wrong with its stored fields, e.g. {@code its lastFiredAt 'x' is not a number}
     * @param cause   the failure beneath, for the log, when the problem does not say it all; else null
     */
    public UnreadableTriggerException(String id, String problem, Throwable cause) {
        this(id, problem, null, "trigger '" + id + "' is stored in a form Tally cannot read: " + problem
                + " (a program other than Tally wrote it)", cause);
    }

    private UnreadableTriggerException(String id, String problem, Boolean canceled, String message, Throwable cause) {
        super(message, cause);
        this.id = id;
        this.problem = problem;
        this.canceled = canceled;
    }

    /**
     * The same failure met after a cancel, which reads only the stored status: the message says whether the
     * cancel took effect.
     *
     * @param canceledNow the cancel changed the trigger's status to canceled (it was active)
     * @return the failure of the cancel
     */
    public UnreadableTriggerException afterCancel(boolean canceledNow) {
        String outcome = canceledNow ? "was canceled (it no longer fires)" : "was not canceled (its stored status is "
                + "not active)";
        return new UnreadableTriggerException(id, problem, canceledNow, "trigger '" + id + "' " + outcome
                + ", but it is stored in a form Tally cannot read: " + problem + " (a program other than Tally wrote it)",
                getCause());
    }

    /**
     * The trigger's id.
     *
     * @return {@code t<partition>-<ULID>}
     */
    public String id() {
        return id;
    }

    /**
     * What is wrong with the stored fields.
     *
     * @return e.g. {@code its stored definition is not valid JSON (...)}
     */
    public String problem() {
        return problem;
    }

    /**
     * Whether the call was a cancel that took effect.
     *
     * @return empty for a read; for a cancel, true when it changed the trigger's status to canceled
     */
    public Optional<Boolean> canceled() {
        return Optional.ofNullable(canceled);
    }
}
