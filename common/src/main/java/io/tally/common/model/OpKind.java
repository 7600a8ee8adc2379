package io.tally.common.model;

import java.util.Locale;

/** The counter operations of wire format v1. */
public enum OpKind {
    INCR, DECR, SET, RESET,
    /** Adds {@code member} to the counter's HyperLogLog (unique count); the integer total is untouched. */
    UNIQUE;

    /** The value of the {@code op} field. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether an operation of this kind may carry {@code windows} (set and reset never rewrite history). */
    public boolean windowed() {
        return this == INCR || this == DECR || this == UNIQUE;
    }

    /** Parses an {@code op} field value, or returns null when it is not a known operation. */
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
