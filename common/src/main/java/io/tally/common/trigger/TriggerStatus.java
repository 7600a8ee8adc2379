package io.tally.common.trigger;

import java.util.Locale;

/** Life cycle of a trigger: {@code active}, then {@code fired} (once mode) or {@code canceled}. */
public enum TriggerStatus {
    ACTIVE, FIRED, CANCELED;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static TriggerStatus parse(String s) {
        for (TriggerStatus st : values()) {
            if (st.wire().equals(s)) {
                return st;
            }
        }
        throw new InvalidTriggerException("status", "unknown status '" + s + "' (expected active, fired or canceled)");
    }
}
