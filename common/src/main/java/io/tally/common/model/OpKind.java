package io.tally.common.model;

import java.util.Locale;

/** The counter operations of wire format v1. */
public enum OpKind {
    /** Adds {@code amount} to the counter. */
    INCR,
    /** Subtracts {@code amount} from the counter. */
    DECR,
    /** Sets the counter to {@code amount}. */
    SET,
    /** Sets the counter to 0. */
    RESET,
    /** Adds {@code member} to the counter's HyperLogLog (unique count); the integer total is untouched. */
    UNIQUE;

    /**
     * The value of the {@code op} field.
     *
     * @return e.g. {@code incr}
     */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Whether an operation of this kind may carry {@code windows} (set and reset never rewrite history).
     *
     * @return true for incr, decr and unique
     */
    public boolean windowed() {
        return this == INCR || this == DECR || this == UNIQUE;
    }

    /**
     * Parses an {@code op} field value.
     *
     * @param op the value, e.g. {@code incr}
     * @return the kind, or null when it is not a known operation
     */
    public static OpKind fromWire(String op) {
        return switch (op) {
            case "incr" -> INCR;
            case "decr" -> DECR;
            case "set" -> SET;
            case "reset" -> RESET;
            case "unique" -> UNIQUE;
            default -> null;
        };
    }
}
