package io.tally.app.cli;

import io.tally.common.config.ConfigKey;
import io.tally.common.config.TallyConfig;

import java.util.List;
import java.util.Map;

/**
 * A group of configuration keys that a part of Tally reads, shown as one section of a command's help.
 * A command names the groups it reads with {@link ReadsConfig}; {@link ConfigOptions} then accepts each
 * key of them as a flag ({@code --redis-timeout-ms}), after the flag the key names in the README's
 * configuration table, and no other key.
 */
public enum ConfigScope {
    /** What every command that talks to Redis reads: the client ({@code RedisClientFactory}) and the namespace. */
    CONNECTION("Redis and namespace", List.of(TallyConfig.REDIS_URL, TallyConfig.REDIS_MODE,
            TallyConfig.REDIS_PASSWORD_FILE, TallyConfig.REDIS_SENTINEL_MASTER, TallyConfig.REDIS_TLS_CA_FILE,
            TallyConfig.REDIS_TIMEOUT_MS, TallyConfig.NAMESPACE, TallyConfig.PARTITIONS)),
    /** A command that writes waits this long for a processor (or {@code tally init}) to create the namespace. */
    NAMESPACE_WAIT("Waiting for the namespace", List.of(TallyConfig.SEND_TIMEOUT_MS)),
    /** The producer's settings ({@code TallyProducer}). */
    PRODUCER("Producer", List.of(TallyConfig.SEND_TIMEOUT_MS, TallyConfig.DEDUPE_WINDOW_MS, TallyConfig.ACKS,
            TallyConfig.BACKLOG_LIMIT, TallyConfig.PRODUCER_BATCH_SIZE, TallyConfig.PRODUCER_LINGER_MS,
            TallyConfig.PRODUCER_MAX_IN_FLIGHT, TallyConfig.PRODUCER_BUFFER, TallyConfig.PRODUCER_BUFFER_BYTES,
            TallyConfig.PRODUCER_IDEMPOTENCE)),
    /** The windows a {@code windows} field may name, checked before a send. */
    SERIES("Series", List.of(TallyConfig.SERIES_WINDOWS)),
    /** The caps on triggers that creating one checks. */
    TRIGGER_CAPS("Trigger caps", List.of(TallyConfig.MAX_TRIGGERS_PER_KEY, TallyConfig.MAX_TRIGGERS,
            TallyConfig.MAX_TIME_FIRINGS_PER_SECOND)),
    /** The HTTP service's own settings. */
    API("HTTP service", List.of(TallyConfig.API_PORT, TallyConfig.API_HOST, TallyConfig.API_TOKENS_FILE,
            TallyConfig.API_INSECURE, TallyConfig.API_MAX_BODY_BYTES, TallyConfig.API_MAX_BATCH_BYTES,
            TallyConfig.API_MAX_INVALID_LINES, TallyConfig.API_MAX_WAITS, TallyConfig.API_REQUEST_READ_TIMEOUT_MS,
            TallyConfig.API_MAX_CONNECTIONS, TallyConfig.API_MAX_CONNECTIONS_PER_CLIENT, TallyConfig.API_MAX_IN_FLIGHT_PER_TOKEN,
            TallyConfig.API_MAX_OPS_PER_SECOND_PER_TOKEN, TallyConfig.API_MAX_OPS_BURST_PER_TOKEN));

    /** Shorter names some keys also answer to on the command line. */
    static final Map<ConfigKey<?>, List<String>> ALIASES = Map.of(
            TallyConfig.NAMESPACE, List.of("-n"),
            TallyConfig.API_PORT, List.of("--port"),
            TallyConfig.API_HOST, List.of("--host"),
            TallyConfig.API_INSECURE, List.of("--insecure"));

    private final String heading;
    private final List<ConfigKey<?>> keys;

    ConfigScope(String heading, List<ConfigKey<?>> keys) {
        this.heading = heading;
        this.keys = keys;
    }

    /** The heading of this group's section in a command's help. */
    public String heading() {
        return heading;
    }

    /** The keys of this group, none of them a secret (secrets are never flags). */
    public List<ConfigKey<?>> keys() {
        return keys;
    }
}
