package io.tally.app.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;

import java.time.Duration;
import java.time.InstantSource;

/**
 * The requests of each bearer token refused for one reason: {@code tally_api_requests_refused_total{reason, token}}
 * counts them, and the log says at most once a minute per token that they are refused ({@link ThrottledWarning}),
 * so a token refused thousands of times a second cannot flood it. Both name a token by its label
 * ({@link ApiTokens#label}), never the token.
 */
final class TokenRefusals implements AutoCloseable {
    private static final Duration WARN_EVERY = Duration.ofMinutes(1);

    private final String[] labels;
    private final Counter[] counters;
    private final ThrottledWarning[] warnings;
    private final MeterRegistry registry;

    /**
     * @param counted whether refusals are counted at all: without, no meter is registered (the cap is off)
     */
    TokenRefusals(ApiTokens tokens, boolean counted, String reason, Logger log, MeterRegistry registry,
                  String namespace) {
        int slots = counted ? tokens.slots() : 0;
        this.registry = registry;
        this.labels = new String[slots];
        this.counters = new Counter[slots];
        this.warnings = new ThrottledWarning[slots];
        for (int i = 0; i < slots; i++) {
            labels[i] = tokens.label(i);
            counters[i] = Counter.builder("tally.api.requests.refused")
                    .description("Requests refused with 429 (a batch stopped at a line counts once), by reason and "
                            + "bearer token label")
                    .tag("namespace", namespace).tag("reason", reason).tag("token", labels[i]).register(registry);
            warnings[i] = new ThrottledWarning(log, WARN_EVERY, InstantSource.system());
        }
    }

    /** The label of token {@code index}, as metrics and the log name it. */
    String label(int index) {
        return labels[index];
    }

    /**
     * Counts a refusal of token {@code index} and logs {@code format} (whose first {@code {}} is the token's label,
     * followed by {@code args}) at WARN, at most once a minute for this token.
     */
    void refused(int index, String format, Object... args) {
        counters[index].increment();
        Object[] withLabel = new Object[args.length + 1];
        withLabel[0] = labels[index];
        System.arraycopy(args, 0, withLabel, 1, args.length);
        warnings[index].warn(format + " (logged at most once a minute per token; tally_api_requests_refused_total "
                + "counts each)", withLabel);
    }

    /** Removes the meters from the registry. */
    @Override
    public void close() {
        for (Counter c : counters) {
            registry.remove(c);
        }
    }
}
