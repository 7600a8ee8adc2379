package io.tally.producer.triggers;

import io.tally.producer.TallyException;

/**
 * Creating a trigger was refused because a cap on triggers was reached: {@code max-triggers-per-key} for
 * its routing key, {@code max-triggers} for the namespace, or {@code max-time-firings-per-second} for the firings a
 * second of the namespace's repeating time triggers. Nothing was written. Not retriable as such:
 * cancel triggers (and let retention delete finished ones) or raise the cap first.
 */
public final class TriggerLimitException extends TallyException {
    private final String limit;
    private final long value;

    /**
     * @param limit the configuration key of the cap that was reached
     * @param value the cap's value
     * @param message what was refused and why
     */
    public TriggerLimitException(String limit, long value, String message) {
        super(message, false, null);
        this.limit = limit;
        this.value = value;
    }

    /**
     * The configuration key of the cap that was reached.
     *
     * @return e.g. {@code max-triggers-per-key}
     */
    public String limit() {
        return limit;
    }

    /**
     * The cap's value.
     *
     * @return the cap
     */
    public long value() {
        return value;
    }
}
