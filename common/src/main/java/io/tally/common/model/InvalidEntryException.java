package io.tally.common.model;

/**
 * An entry or request that breaks wire format v1. Carries the dead-letter reason code
 * ({@code missing_field}, {@code bad_number}, {@code unknown_op}, {@code too_long}, ...) and a
 * message that names the field. Never retriable: the same input fails the same way.
 */
public final class InvalidEntryException extends IllegalArgumentException {
    private final String reason;
    private final String field;

    public InvalidEntryException(String reason, String field, String message) {
        super(message);
        this.reason = reason;
        this.field = field;
    }

    /** Short code, the same as the {@code reason} field of a dead letter. */
    public String reason() {
        return reason;
    }

    /** The field that was wrong. */
    public String field() {
        return field;
    }
}
