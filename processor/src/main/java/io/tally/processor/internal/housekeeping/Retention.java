package io.tally.processor.internal.housekeeping;

import io.tally.common.config.TallyConfig;

/**
 * How long a partition's output is kept, in ms; 0 keeps it forever. Input streams have no age limit:
 * they are trimmed as soon as every consumer group has acknowledged them.
 *
 * @param firingsMs          firings, unless a consumer group has not acknowledged them yet
 * @param deadLettersMs      the {@code dlq} and {@code firings-dlq} streams
 * @param finishedTriggersMs fired or canceled triggers, counted from {@code lastFiredAt} / {@code canceledAt}
 */
public record Retention(long firingsMs, long deadLettersMs, long finishedTriggersMs) {
    /** Keeps everything: what a processor did before retention of output existed. */
    public static final Retention FOREVER = new Retention(0, 0, 0);

    public Retention {
        if (firingsMs < 0 || deadLettersMs < 0 || finishedTriggersMs < 0) {
            throw new IllegalArgumentException("retention must be >= 0 ms (0 keeps forever)");
        }
    }

    public static Retention from(TallyConfig config) {
        return new Retention(config.get(TallyConfig.FIRINGS_RETENTION_MS), config.get(TallyConfig.DLQ_RETENTION_MS),
                config.get(TallyConfig.FINISHED_TRIGGER_RETENTION_MS));
    }
}
