package io.tally.common.trigger;

import java.util.Locale;

/** Whether a trigger fires once or on every occurrence of its cause. */
public enum TriggerMode {
    /** Fires at most once; its status then becomes {@link TriggerStatus#FIRED}. */
    ONCE,
    /** Fires on every matching event, every crossing, or every period; stays active until canceled. */
    EVERY;

    /**
     * Lower-case name used in JSON and in Redis.
     *
     * @return {@code once} or {@code every}
     */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses the wire name.
     *
     * @param s {@code once} or {@code every}
     * @return the mode
     * @throws InvalidTriggerException naming {@code mode} for any other text
     */
    public static TriggerMode parse(String s) {
        for (TriggerMode m : values()) {
            if (m.wire().equals(s)) {
                return m;
            }
        }
        throw new InvalidTriggerException("mode", "unknown mode '" + s + "' (expected once or every)");
    }
}
