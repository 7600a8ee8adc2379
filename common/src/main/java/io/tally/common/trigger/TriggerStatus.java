package io.tally.common.trigger;

import java.util.Locale;

/** Life cycle of a trigger: {@code active}, then {@code fired} (once mode) or {@code canceled}. */
public enum TriggerStatus {
    /** Watching: it fires when its condition holds. */
    ACTIVE,
    /** A {@code once} trigger after its firing. */
    FIRED,
    /** Canceled before it fired (or between firings of an {@code every} trigger). */
    CANCELED;

    /**
     * Lower-case name used in JSON and in Redis.
     *
     * @return {@code active}, {@code fired} or {@code canceled}
     */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses the wire name.
     *
     * @param s {@code active}, {@code fired} or {@code canceled}
     * @return the status
     * @throws InvalidTriggerException naming {@code status} for any other text
     */
    public static TriggerStatus parse(String s) {
        for (TriggerStatus st : values()) {
            if (st.wire().equals(s)) {
                return st;
            }
        }
        throw new InvalidTriggerException("status", "unknown status '" + s + "' (expected active, fired or canceled)");
    }
}
