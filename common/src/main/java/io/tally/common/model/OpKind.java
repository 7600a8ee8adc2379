package io.tally.common.model;

import java.util.Locale;

/** The counter operations of wire format v1. */
public enum OpKind {
    INCR, DECR, SET, RESET;

    /** The value of the {@code op} field. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses an {@code op} field value, or returns null when it is not a known operation. */
    public static OpKind fromWire(String op) {
        return switch (op) {
            case "incr" -> INCR;
            case "decr" -> DECR;
            case "set" -> SET;
            case "reset" -> RESET;
            default -> null;
        };
    }
}
