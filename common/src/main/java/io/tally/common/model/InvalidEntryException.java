package io.tally.common.model;

/**
 * An entry or request that breaks wire format v1. Carries the dead-letter reason code
 * ({@code missing_field}, {@code bad_number}, {@code unknown_op}, {@code too_long}, ...) and a
 * message that names the field. Never retriable: the same input fails the same way.
 */
public final class InvalidEntryException extends IllegalArgumentException {
    private final String reason;
    private final String field;

    /**
     * An invalid entry.
     *
     * @param reason  the dead-letter reason code
     * @param field   the field at fault
     * @param message what is wrong, naming the field
     */
    public InvalidEntryException(String reason, String field, String message) {
        super(message);
        this.reason = reason;
        this.field = field;
    }

    /**
     * Short code, the same as the {@code reason} field of a dead letter.
     *
     * @return e.g. {@code bad_number}
     */
    public String reason() {
        return reason;
    }

    /**
     * The field that was wrong.
     *
     * @return the field's name
     */
    public String field() {
        return field;
    }
}
