package io.tally.common.trigger;

/**
 * A trigger definition or request that breaks the rules; the message names the field and says what
 * is allowed. Never retriable: the same input fails the same way, and nothing was written.
 */
public final class InvalidTriggerException extends IllegalArgumentException {
    private final String field;
    private final String problem;

    /**
     * An invalid trigger field.
     *
     * @param field   the field at fault
     * @param problem what is wrong and what is allowed
     */
    public InvalidTriggerException(String field, String problem) {
        super("invalid trigger: field '" + field + "': " + problem);
        this.field = field;
        this.problem = problem;
    }

    /**
     * The field that was wrong.
     *
     * @return e.g. {@code every} or {@code match.country}
     */
    public String field() {
        return field;
    }

    /**
     * What is wrong with the field, without the field's name.
     *
     * @return e.g. {@code missing (expected event, threshold or time)}
     */
    public String problem() {
        return problem;
    }
}
