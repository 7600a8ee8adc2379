package io.tally.common.config;

import static io.tally.common.config.TallyConfig.API_MAX_BATCH_BYTES;
import static io.tally.common.config.TallyConfig.API_MAX_BODY_BYTES;
import static io.tally.common.config.TallyConfig.DEDUPE_WINDOW_MS;
import static io.tally.common.config.TallyConfig.LEASE_TTL_MS;
import static io.tally.common.config.TallyConfig.MEMBER_TIMEOUT_MS;
import static io.tally.common.config.TallyConfig.SEND_TIMEOUT_MS;
import static io.tally.common.config.TallyConfig.TICK_MS;

/** The checks of a built {@link TallyConfig} that involve more than one key (each key's own checks its parser). */
final class CrossKeyChecks {
    private CrossKeyChecks() {
    }

    /** Throws a {@link ConfigException} naming the first value that does not fit with another. */
    static void check(TallyConfig c) {
        memberTimeout(c);
        pairs(c);
    }

    /** {@code member-timeout-ms}, when set, between three ticks and the lease TTL. */
    private static void memberTimeout(TallyConfig c) {
        int set = c.get(MEMBER_TIMEOUT_MS);
        if (set == 0) {
            return;
        }
        if (set > c.get(LEASE_TTL_MS)) {
            throw new ConfigException("Invalid value " + set + " for member-timeout-ms: must not exceed lease-ttl-ms ("
                    + c.get(LEASE_TTL_MS) + "); a processor would look alive after its leases ran out");
        }
        if (set < 3L * c.get(TICK_MS)) {
            throw new ConfigException("Invalid value " + set + " for member-timeout-ms: must be at least three ticks ("
                    + 3 * c.get(TICK_MS) + " ms with tick-ms " + c.get(TICK_MS) + "), or live processors would be "
                    + "dropped between heartbeats");
        }
    }

    /** Settings that are each valid alone but together break a guarantee. */
    private static void pairs(TallyConfig c) {
        long window = c.get(DEDUPE_WINDOW_MS);
        long timeout = c.get(SEND_TIMEOUT_MS);
        if (window < 2 * timeout) {
            throw new ConfigException("Invalid value " + window + " for dedupe-window-ms: must be at least twice "
                    + "send-timeout-ms (" + timeout + "); a send is retried for up to send-timeout-ms and each try may "
                    + "reach Redis up to send-timeout-ms later, so a retry could outlive its dedupe key and be written twice");
        }
        int tick = c.get(TICK_MS);
        int ttl = c.get(LEASE_TTL_MS);
        if (tick > ttl / 3) {
            throw new ConfigException("Invalid value " + tick + " for tick-ms: must be at most a third of lease-ttl-ms ("
                    + ttl + "); leases are renewed on ticks, so leases would run out between ticks and partitions "
                    + "would move from processor to processor");
        }
        int body = c.get(API_MAX_BODY_BYTES);
        long batch = c.get(API_MAX_BATCH_BYTES);
        if (batch < body) {
            throw new ConfigException("Invalid value " + batch + " for api-max-batch-bytes: must be at least "
                    + "api-max-body-bytes (" + body + "); a batch could not carry a line that POST /v1/counters and "
                    + "/v1/events accept");
        }
    }
}
