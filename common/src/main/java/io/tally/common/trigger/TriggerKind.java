package io.tally.common.trigger;

import java.util.Locale;

/** What makes a trigger fire. */
public enum TriggerKind {
    /** An applied event of a type whose parameters include all of {@code match}. */
    EVENT,
    /** A counter's value crossing a line ({@code >=} or {@code <=} a value). */
    THRESHOLD,
    /** A point in (Redis server) time, optionally repeated every {@code every} ms. */
    TIME;

    /**
     * Lower-case name used in JSON, in Redis and in firings.
     *
     * @return e.g. {@code threshold}
     */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses the wire name.
     *
     * @param s {@code event}, {@code threshold} or {@code time}
     * @return the kind
     * @throws InvalidTriggerException naming {@code kind} for any other text
     */
    public static TriggerKind parse(String s) {
        for (TriggerKind k : values()) {
            if (k.wire().equals(s)) {
                return k;
            }
        }
        throw new InvalidTriggerException("kind", "unknown kind '" + s + "' (expected event, threshold or time)");
    }
}
