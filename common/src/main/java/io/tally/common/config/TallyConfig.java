package io.tally.common.config;

import io.tally.common.internal.config.SecretFile;
import io.tally.common.series.SeriesWindows;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The one configuration object of every Tally process. Each key is declared once below with its
 * doc, default, validator, flag and {@code TALLY_*} environment variable; the README's table is
 * generated from {@link #keys()}. Values come from flags, then environment, then defaults; the
 * object is validated when built and immutable afterwards.
 */
public final class TallyConfig {
    private static final List<ConfigKey<?>> KEYS = new ArrayList<>();
    private static final List<ConfigKey<?>> TUNING = new ArrayList<>();
    /** Old names still accepted, as a flag and as an environment variable, for a renamed key. */
    private static final Map<String, ConfigKey<?>> DEPRECATED_NAMES = new LinkedHashMap<>();

    // --- Redis ---
    /** {@code redis-url}: Redis URL (redis:// or rediss:// for TLS, optional user as redis://user@host:port). */
    public static final ConfigKey<String> REDIS_URL = key("redis-url", "redis://127.0.0.1:6379",
            "Redis URL (redis:// or rediss:// for TLS, optional user as redis://user@host:port); for cluster and "
                    + "sentinel a comma-separated seed list. No password here: see TALLY_REDIS_PASSWORD.",
            Parsers.nonBlank());
    /** {@code redis-mode}: standalone, cluster or sentinel. */
    public static final ConfigKey<RedisMode> REDIS_MODE = key("redis-mode", RedisMode.STANDALONE,
            "standalone, cluster or sentinel.", Parsers.oneOf(RedisMode.class));
    /** {@code redis-password}: Redis password. */
    public static final ConfigKey<String> REDIS_PASSWORD = secret("redis-password",
            "Redis password; environment only (never a flag, so it does not show in ps).");
    /** {@code redis-password-file}: File whose first line is the Redis password. */
    public static final ConfigKey<String> REDIS_PASSWORD_FILE = key("redis-password-file", "",
            "File whose first line is the Redis password.", Parsers.string());
    /** {@code redis-sentinel-master}: Master name to ask Sentinel for (sentinel mode). */
    public static final ConfigKey<String> REDIS_SENTINEL_MASTER = key("redis-sentinel-master", "mymaster",
            "Master name to ask Sentinel for (sentinel mode).", Parsers.nonBlank());
    /**
     * {@code redis-tls-ca-file}: PEM file of the certificate authority that signed the Redis server certificate
     * (rediss://).
     */
    public static final ConfigKey<String> REDIS_TLS_CA_FILE = key("redis-tls-ca-file", "",
            "PEM file of the certificate authority that signed the Redis server certificate (rediss://); "
                    + "empty uses the JVM's trust store.", Parsers.string());
    /** {@code redis-timeout-ms}: Timeout of one Redis command, ms. */
    public static final ConfigKey<Integer> REDIS_TIMEOUT_MS = key("redis-timeout-ms", 3000,
            "Timeout of one Redis command, ms.", Parsers.intRange(100, 120_000));

    // --- Namespace ---
    /** {@code namespace}: Key prefix of all Tally keys. */
    public static final ConfigKey<String> NAMESPACE = key("namespace", "tally",
            "Key prefix of all Tally keys; letters, digits, '.', '_' and '-'.", TallyConfig::parseNamespace);
    /** {@code partitions}: Number of partitions P. */
    public static final ConfigKey<Integer> PARTITIONS = key("partitions", 0,
            "Number of partitions P. 0: the stored P of an existing namespace, else 16. Fixed once the namespace "
                    + "exists; a process configured with another P refuses to start.", Parsers.intRange(0, 16384));

    // --- Processor ---
    /** {@code processor-id}: Name of this processor (consumer name prefix, lease owner). */
    public static final ConfigKey<String> PROCESSOR_ID = key("processor-id", "",
            "Name of this processor (consumer name prefix, lease owner); empty uses the host name.",
            TallyConfig::parseProcessorId);
    /** {@code batch-size}: Entries read and applied per partition in one atomic script call (at most 1000). */
    public static final ConfigKey<Integer> BATCH_SIZE = key("batch-size", 1000,
            "Entries read and applied per partition in one atomic script call (at most 1000).",
            Parsers.intRange(1, 1000));
    /** {@code lease-ttl-ms}: Partition lease time-to-live, ms. */
    public static final ConfigKey<Integer> LEASE_TTL_MS = key("lease-ttl-ms", 10_000,
            "Partition lease time-to-live, ms; renewed every TTL/3. A processor that cannot renew loses its partitions "
                    + "after this; a dead or stalled one's move sooner, after member-timeout-ms.",
            Parsers.intRange(1000, 600_000));
    /** {@code member-timeout-ms}: How long a processor may miss heartbeats before the others count it as gone, ms. */
    public static final ConfigKey<Integer> MEMBER_TIMEOUT_MS = key("member-timeout-ms", 0,
            "How long a processor may miss heartbeats before the others count it as gone, ms: they reassign "
                    + "its partitions and replace its leases at once, without waiting for them to expire (the lease "
                    + "value fences a processor that was only paused). 0: half the lease TTL (at least 3 ticks). "
                    + "At most the lease TTL. Raise it if processors may stall for longer (long GC pauses).",
            Parsers.intRange(0, 600_000));
    /** {@code tick-ms}: Interval of membership heartbeat, assignment and time-trigger checks, ms. */
    public static final ConfigKey<Integer> TICK_MS = key("tick-ms", 250,
            "Interval of membership heartbeat, assignment and time-trigger checks, ms; at most a third of lease-ttl-ms.", Parsers.intRange(10, 10_000));
    /**
     * {@code trigger-poll-ms}: Interval at which a processor fires due time triggers of its partitions, ms (a
     * trigger fires at most about this late while its partition has an owner).
     */
    public static final ConfigKey<Integer> TRIGGER_POLL_MS = key("trigger-poll-ms", 50,
            "Interval at which a processor fires due time triggers of its partitions, ms (a trigger fires at most "
                    + "about this late while its partition has an owner).", Parsers.intRange(10, 1000));
    /** {@code idle-poll-ms}: Longest pause between reads when no partition has new entries, ms. */
    public static final ConfigKey<Integer> IDLE_POLL_MS = key("idle-poll-ms", 10,
            "Longest pause between reads when no partition has new entries, ms.", Parsers.intRange(1, 1000));
    /**
     * {@code series-windows}: Windows an entry's 'windows' field may name, each with how long its buckets are
     * kept after they end (window=retention.
     */
    public static final ConfigKey<SeriesWindows> SERIES_WINDOWS = key("series-windows",
            SeriesWindows.parse(SeriesWindows.DEFAULT),
            "Windows an entry's 'windows' field may name, each with how long its buckets are kept after they end "
                    + "(window=retention; units s, m, h, d). An entry naming another window is a dead letter.",
            SeriesWindows::parse);
    /**
     * {@code series-future-ms}: How far an entry's ts may lie ahead of its stream id's time and still pick its
     * series buckets, ms.
     */
    public static final ConfigKey<Long> SERIES_FUTURE_MS = key("series-future-ms", 300_000L,
            "How far an entry's ts may lie ahead of its stream id's time and still pick its series buckets, ms; "
                    + "a later ts (a wrong clock) is replaced by the id's time.", Parsers.longRange(0, 86_400_000L));
    /** {@code metrics-port}: Port of the processor's metrics and health HTTP server (0: any free port). */
    public static final ConfigKey<Integer> METRICS_PORT = renamed("http-port", key("metrics-port", 9400,
            "Port of the processor's metrics and health HTTP server (0: any free port).", Parsers.intRange(0, 65535)));
    /** {@code metrics-host}: Address the processor's metrics and health HTTP server listens on. */
    public static final ConfigKey<String> METRICS_HOST = renamed("http-host", key("metrics-host", "0.0.0.0",
            "Address the processor's metrics and health HTTP server listens on. Every address by default, so that "
                    + "probes and Prometheus reach it from outside the container; 127.0.0.1 keeps it on the host.",
            Parsers.nonBlank()));

    // --- Producer ---
    /** {@code producer-batch-size}: Most entries a producer sends in one pipeline. */
    public static final ConfigKey<Integer> PRODUCER_BATCH_SIZE = key("producer-batch-size", 500,
            "Most entries a producer sends in one pipeline.", Parsers.intRange(1, 10_000));
    /** {@code producer-linger-ms}: How long a producer waits to fill a batch before sending it, ms. */
    public static final ConfigKey<Integer> PRODUCER_LINGER_MS = key("producer-linger-ms", 1,
            "How long a producer waits to fill a batch before sending it, ms.", Parsers.intRange(0, 10_000));
    /**
     * {@code producer-max-in-flight}: Pipelines a producer keeps in flight (each owns a share of the
     * partitions, so order per partition holds).
     */
    public static final ConfigKey<Integer> PRODUCER_MAX_IN_FLIGHT = key("producer-max-in-flight", 4,
            "Pipelines a producer keeps in flight (each owns a share of the partitions, so order per partition holds).",
            Parsers.intRange(1, 64));
    /** {@code producer-buffer}: Sends a producer queues before send() fails fast with a backpressure error. */
    public static final ConfigKey<Integer> PRODUCER_BUFFER = key("producer-buffer", 100_000,
            "Sends a producer queues before send() fails fast with a backpressure error.", Parsers.intRange(1, 10_000_000));
    /**
     * {@code producer-idempotence}: Producer sessions: each producer numbers its sends per stream and the
     * append script drops a number it has seen, so a retried send is written once.
     */
    public static final ConfigKey<Boolean> PRODUCER_IDEMPOTENCE = key("producer-idempotence", true,
            "Producer sessions: each producer numbers its sends per stream and the append script drops a number it "
                    + "has seen, so a send retried after a lost reply or a broken connection is written once, with or "
                    + "without an operation id. false: plain appends, for measuring them; a send without an id whose "
                    + "reply is lost then fails as outcome unknown.", Parsers.bool());
    /** {@code send-timeout-ms}: Time a send may take before it fails (an idempotent send is retried within it). */
    public static final ConfigKey<Long> SEND_TIMEOUT_MS = key("send-timeout-ms", 10_000L,
            "Time a send may take before it fails (sends are retried within it: all of them with producer-idempotence, "
                    + "else those with an operation id).",
            Parsers.longRange(100, 600_000));
    /** {@code dedupe-window-ms}: How long an operation id is remembered for idempotent sends, ms. */
    public static final ConfigKey<Long> DEDUPE_WINDOW_MS = key("dedupe-window-ms", 600_000L,
            "How long an operation id is remembered for idempotent sends, ms; at least twice send-timeout-ms.", Parsers.longRange(1000, 7L * 24 * 3600 * 1000));
    /** {@code acks}: Leader. */
    public static final ConfigKey<Acks> ACKS = key("acks", Acks.LEADER,
            "leader: a send is done when the master has it; replicas: also one replica (WAIT).", Parsers.oneOf(Acks.class));
    /**
     * {@code backlog-limit}: Backlog (lag + pending of the slowest group) of a partition above which sends fail
     * fast.
     */
    public static final ConfigKey<Long> BACKLOG_LIMIT = key("backlog-limit", 1_000_000L,
            "Backlog (lag + pending of the slowest group) of a partition above which sends fail fast; 0 disables.",
            Parsers.longRange(0, Long.MAX_VALUE));

    // --- HTTP ingest service ---
    /** {@code api-port}: Port of the HTTP ingest service (tally serve --port. */
    public static final ConfigKey<Integer> API_PORT = key("api-port", 8080,
            "Port of the HTTP ingest service (tally serve --port; 0: any free port).", Parsers.intRange(0, 65535));
    /** {@code api-host}: Address the HTTP ingest service listens on. */
    public static final ConfigKey<String> API_HOST = key("api-host", "0.0.0.0",
            "Address the HTTP ingest service listens on.", Parsers.nonBlank());
    /** {@code api-tokens}: Comma-separated bearer tokens the HTTP service accepts. */
    public static final ConfigKey<String> API_TOKENS = secret("api-tokens",
            "Comma-separated bearer tokens the HTTP service accepts; environment only (never a flag).");
    /** {@code api-tokens-file}: File of bearer tokens the HTTP service accepts, one per line ('#' starts a comment). */
    public static final ConfigKey<String> API_TOKENS_FILE = key("api-tokens-file", "",
            "File of bearer tokens the HTTP service accepts, one per line ('#' starts a comment).", Parsers.string());
    /** {@code api-insecure}: Lets the HTTP service start without any bearer token (tally serve --insecure). */
    public static final ConfigKey<Boolean> API_INSECURE = key("api-insecure", false,
            "Lets the HTTP service start without any bearer token: every request is accepted (tally serve "
                    + "--insecure). For local trials only.",
            Parsers.bool());
    /** {@code api-max-body-bytes}: Largest request body of a single-operation HTTP request, bytes (larger. */
    public static final ConfigKey<Integer> API_MAX_BODY_BYTES = key("api-max-body-bytes", 65_536,
            "Largest request body of a single-operation HTTP request, bytes (larger: 413).",
            Parsers.intRange(1024, 16 * 1024 * 1024));
    /** {@code api-max-batch-bytes}: Largest NDJSON body of POST /v1/batch, bytes (larger. */
    public static final ConfigKey<Long> API_MAX_BATCH_BYTES = key("api-max-batch-bytes", 64L * 1024 * 1024,
            "Largest NDJSON body of POST /v1/batch, bytes (larger: 413); at least api-max-body-bytes.", Parsers.longRange(1024, Long.MAX_VALUE));
    /**
     * {@code api-max-waits}: Read-your-writes waits (GET /v1/counters/{name}?after=) the HTTP service holds
     * open at once.
     */
    public static final ConfigKey<Integer> API_MAX_WAITS = key("api-max-waits", 1000,
            "Read-your-writes waits (GET /v1/counters/{name}?after=) the HTTP service holds open at once; beyond: "
                    + "503 with Retry-After. A wait holds no thread, only a little memory.",
            Parsers.intRange(1, 1_000_000));
    // --- Retention ---
    private static final long DAY_MS = 24L * 3600 * 1000;
    private static final long MAX_RETENTION_MS = 3650 * DAY_MS;
    /** {@code firings-retention-ms}: How long firings are kept, ms, judged by their entry id on Redis time. */
    public static final ConfigKey<Long> FIRINGS_RETENTION_MS = key("firings-retention-ms", 7 * DAY_MS,
            "How long firings are kept, ms, judged by their entry id on Redis time. A firing that some consumer "
                    + "group (FiringsConsumer) has not acknowledged is kept however old. 0 keeps firings forever.",
            Parsers.longRange(0, MAX_RETENTION_MS));
    /** {@code dlq-retention-ms}: How long dead letters (the dlq and firings-dlq streams) are kept, ms. */
    public static final ConfigKey<Long> DLQ_RETENTION_MS = key("dlq-retention-ms", 7 * DAY_MS,
            "How long dead letters (the dlq and firings-dlq streams) are kept, ms. 0 keeps them forever.",
            Parsers.longRange(0, MAX_RETENTION_MS));
    // --- Bounds per tenant (triggers) ---
    /** {@code max-triggers-per-key}: Most active triggers on one routing key (an event type or a counter). */
    public static final ConfigKey<Integer> MAX_TRIGGERS_PER_KEY = key("max-triggers-per-key", 1000,
            "Most active triggers on one routing key (an event type or a counter); creating one more is refused "
                    + "(HTTP 422, CLI exit 2). Bounds the firings one entry can cause.", Parsers.intRange(1, 100_000));
    /**
     * {@code max-triggers}: Most triggers a namespace stores (active, and finished ones until
     * finished-trigger-retention-ms deletes them).
     */
    public static final ConfigKey<Integer> MAX_TRIGGERS = key("max-triggers", 100_000,
            "Most triggers a namespace stores (active, and finished ones until finished-trigger-retention-ms "
                    + "deletes them); creating one more is refused (HTTP 422, CLI exit 2).",
            Parsers.intRange(1, 10_000_000));
    /** {@code max-firings-per-call}: Most firings one apply script call appends. */
    public static final ConfigKey<Integer> MAX_FIRINGS_PER_CALL = key("max-firings-per-call", 1000,
            "Most firings one apply script call appends; a batch that would fire more is applied in parts (an "
                    + "entry's own firings are never split), so one call's writes stay bounded.",
            Parsers.intRange(1, 100_000));
    /**
     * {@code finished-trigger-retention-ms}: How long a fired or canceled trigger stays readable before it is
     * deleted with all its state, ms.
     */
    public static final ConfigKey<Long> FINISHED_TRIGGER_RETENTION_MS = key("finished-trigger-retention-ms", DAY_MS,
            "How long a fired or canceled trigger stays readable before it is deleted with all its state, ms. "
                    + "0 keeps finished triggers forever.", Parsers.longRange(0, MAX_RETENTION_MS));

    // --- Tuning: implementation knobs for benchmarks and tests, set only as -Dtally.<name>=... ---
    /**
     * {@code fast-path-min-read}, a tuning key (system property {@code tally.fast-path-min-read}): entries a
     * partition's read must return to keep it on the fast path.
     */
    public static final ConfigKey<Integer> FAST_PATH_MIN_READ = tuning("fast-path-min-read", 0,
            "Entries a partition's read must return to keep it on the fast path, where the processor reads and "
                    + "folds batches; below it apply.lua reads and applies in one call (one round trip less, but "
                    + "several times the Redis CPU per entry). 0: always the fast path; above batch-size turns the "
                    + "fast path off.", Parsers.intRange(0, 1000));
    /**
     * {@code hot-path-connection}, a tuning key (system property {@code tally.hot-path-connection}): how the
     * hot paths talk to a standalone Redis.
     */
    public static final ConfigKey<HotPathConnection> HOT_PATH_CONNECTION = tuning("hot-path-connection",
            HotPathConnection.DIRECT,
            "How the two hot paths, the processor's reads and apply scripts and the producer's appends, talk to a "
                    + "standalone Redis. direct: over a connection of their own, with a parser that reads replies "
                    + "straight from the socket buffer; redisson: through the Redisson client. Cluster, Sentinel and "
                    + "acks=replicas always use redisson.", Parsers.oneOf(HotPathConnection.class));

    private final Map<ConfigKey<?>, Object> values;
    private final Map<ConfigKey<?>, String> origins;
    private final Map<ConfigKey<?>, String> raw;

    private TallyConfig(Map<ConfigKey<?>, Object> values, Map<ConfigKey<?>, String> origins, Map<ConfigKey<?>, String> raw) {
        this.values = Collections.unmodifiableMap(values);
        this.origins = Collections.unmodifiableMap(origins);
        this.raw = Map.copyOf(raw);
    }

    /**
     * Every key, in declaration order.
     *
     * @return the keys, unmodifiable
     */
    public static List<ConfigKey<?>> keys() {
        return Collections.unmodifiableList(KEYS);
    }

    /**
     * The implementation knobs, each set by its system property {@code tally.<name>}.
     *
     * @return the tuning keys
     */
    public static List<ConfigKey<?>> tuningKeys() {
        return Collections.unmodifiableList(TUNING);
    }

    /**
     * Old names still accepted for renamed keys (flag {@code --<old>}, variable {@code TALLY_<OLD>}).
     *
     * @return the key of each old name
     */
    public static Map<String, ConfigKey<?>> deprecatedNames() {
        return Collections.unmodifiableMap(DEPRECATED_NAMES);
    }

    private static List<ConfigKey<?>> allKeys() {
        List<ConfigKey<?>> all = new ArrayList<>(KEYS);
        all.addAll(TUNING);
        return all;
    }

    /**
     * Defaults overridden by the {@code TALLY_*} variables of an environment.
     *
     * @param env the environment, e.g. {@code System.getenv()}
     * @return the validated configuration
     * @throws ConfigException naming the first invalid value
     */
    public static TallyConfig fromEnv(Map<String, String> env) {
        return builder().env(env).build();
    }

    /**
     * Every key at its default.
     *
     * @return the default configuration
     */
    public static TallyConfig defaults() {
        return builder().build();
    }

    /**
     * Starts an empty builder: every key at its default until set.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder preloaded with this configuration's explicit values, to derive a changed copy.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.raw.putAll(raw);
        raw.keySet().forEach(key -> b.origin.put(key, origins.get(key)));
        return b;
    }

    /**
     * The value of a key: as set, else its default.
     *
     * @param key one of this class's constants
     * @param <T> the key's value type
     * @return the value
     */
    @SuppressWarnings("unchecked")
    public <T> T get(ConfigKey<T> key) {
        return (T) values.get(key);
    }

    /**
     * Shorthand for {@code get(REDIS_URL)}.
     *
     * @return the Redis URL
     */
    public String redisUrl() {
        return get(REDIS_URL);
    }

    /**
     * Shorthand for {@code get(NAMESPACE)}.
     *
     * @return the namespace
     */
    public String namespace() {
        return get(NAMESPACE);
    }

    /**
     * Whether the key was given (flag, environment or {@link Builder#set}) rather than left at its default.
     *
     * @param key one of this class's constants
     * @return true when given
     */
    public boolean isSet(ConfigKey<?> key) {
        return raw.containsKey(key);
    }

    /**
     * The configured partition count.
     *
     * @return P, or 0 when it should come from the namespace (else 16)
     */
    public int partitions() {
        return get(PARTITIONS);
    }

    /**
     * The Redis password from {@code TALLY_REDIS_PASSWORD} or the password file. Read when the client is
     * built and never logged.
     *
     * @return the password, or null when none is configured
     * @throws ConfigException when the password file cannot be read
     */
    public String redisPassword() {
        String password = get(REDIS_PASSWORD);
        if (password != null && !password.isEmpty()) {
            return password;
        }
        String file = get(REDIS_PASSWORD_FILE);
        if (file.isEmpty()) {
            return null;
        }
        List<String> lines = SecretFile.readLines(Path.of(file), REDIS_PASSWORD_FILE.flag());
        return lines.isEmpty() ? "" : lines.get(0).strip();
    }

    /**
     * The effective configuration, one key per line with where its value came from, secrets masked; for
     * the start-up log.
     *
     * @return the description
     */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (ConfigKey<?> key : allKeys()) {
            Object value = values.get(key);
            String shown = key.secret() ? (value == null || value.toString().isEmpty() ? "(unset)" : "****") : String.valueOf(value);
            sb.append("  ").append(key.name()).append(" = ").append(shown)
                    .append(" (").append(origins.get(key)).append(")\n");
        }
        return sb.toString();
    }

    /**
     * The member timeout in effect: {@code member-timeout-ms}, or half the lease TTL (at least three ticks)
     * when it is 0.
     *
     * @return the timeout, ms
     */
    public long memberTimeoutMs() {
        int set = get(MEMBER_TIMEOUT_MS);
        return set > 0 ? set : Math.max(get(LEASE_TTL_MS) / 2, 3L * get(TICK_MS));
    }

    private void checkMemberTimeout() {
        int set = get(MEMBER_TIMEOUT_MS);
        if (set == 0) {
            return;
        }
        if (set > get(LEASE_TTL_MS)) {
            throw new ConfigException("Invalid value " + set + " for member-timeout-ms: must not exceed lease-ttl-ms ("
                    + get(LEASE_TTL_MS) + "); a processor would look alive after its leases ran out");
        }
        if (set < 3L * get(TICK_MS)) {
            throw new ConfigException("Invalid value " + set + " for member-timeout-ms: must be at least three ticks ("
                    + 3 * get(TICK_MS) + " ms with tick-ms " + get(TICK_MS) + "), or live processors would be "
                    + "dropped between heartbeats");
        }
    }

    /** Settings that are each valid alone but together break a guarantee. */
    private void checkPairs() {
        long window = get(DEDUPE_WINDOW_MS);
        long timeout = get(SEND_TIMEOUT_MS);
        if (window < 2 * timeout) {
            throw new ConfigException("Invalid value " + window + " for dedupe-window-ms: must be at least twice "
                    + "send-timeout-ms (" + timeout + "); a send is retried for up to send-timeout-ms and each try may "
                    + "reach Redis up to send-timeout-ms later, so a retry could outlive its dedupe key and be written twice");
        }
        int tick = get(TICK_MS);
        int ttl = get(LEASE_TTL_MS);
        if (tick > ttl / 3) {
            throw new ConfigException("Invalid value " + tick + " for tick-ms: must be at most a third of lease-ttl-ms ("
                    + ttl + "); leases are renewed on ticks, so leases would run out between ticks and partitions "
                    + "would move from processor to processor");
        }
        int body = get(API_MAX_BODY_BYTES);
        long batch = get(API_MAX_BATCH_BYTES);
        if (batch < body) {
            throw new ConfigException("Invalid value " + batch + " for api-max-batch-bytes: must be at least "
                    + "api-max-body-bytes (" + body + "); a batch could not carry a line that POST /v1/counters and "
                    + "/v1/events accept");
        }
    }

    /** Builds a configuration from raw values; {@link #build()} validates every one of them. */
    public static final class Builder {
        private final Map<ConfigKey<?>, String> raw = new LinkedHashMap<>();
        private final Map<ConfigKey<?>, String> origin = new LinkedHashMap<>();
        private Function<String, String> systemProperties = System::getProperty;

        private Builder() {
        }

        /**
         * Takes every {@code TALLY_*} variable that names a key. Flags set before win.
         *
         * @param env the environment, e.g. {@code System.getenv()}
         * @return this builder
         */
        public Builder env(Map<String, String> env) {
            for (ConfigKey<?> key : KEYS) {
                String value = env.get(key.env());
                if (value != null && !origin.containsKey(key)) {
                    raw.put(key, value);
                    origin.put(key, "env " + key.env());
                }
            }
            DEPRECATED_NAMES.forEach((old, key) -> {
                String value = env.get(ConfigKey.envOf(old));
                if (value != null && !origin.containsKey(key)) {
                    warnDeprecated(ConfigKey.envOf(old), key.env());
                    raw.put(key, value);
                    origin.put(key, "env " + ConfigKey.envOf(old) + ", deprecated");
                }
            });
            return this;
        }

        /**
         * Reads tuning keys from these properties ({@code tally.<name>}) instead of the JVM's system
         * properties; for tests.
         *
         * @param properties property name to value
         * @return this builder
         */
        public Builder systemProperties(Map<String, String> properties) {
            Map<String, String> copy = Map.copyOf(properties);
            this.systemProperties = copy::get;
            return this;
        }

        /**
         * Sets a key from a command-line flag. Secrets are refused: they would show in {@code ps}.
         *
         * @param name  the key's name, without the leading dashes
         * @param value the raw value
         * @return this builder
         * @throws ConfigException for an unknown key or a secret
         */
        public Builder flag(String name, String value) {
            ConfigKey<?> key = byName(name);
            if (key.secret()) {
                throw new ConfigException("--" + name + " is not accepted on the command line; set "
                        + key.env() + " or use --" + name + "-file");
            }
            raw.put(key, value);
            if (key.name().equals(name)) {
                origin.put(key, "flag");
            } else {
                warnDeprecated(ConfigKey.flagOf(name), key.flag());
                origin.put(key, "flag " + ConfigKey.flagOf(name) + ", deprecated");
            }
            return this;
        }

        /**
         * Sets a key; the value is validated by {@link #build()}.
         *
         * @param key   one of the constants of {@link TallyConfig}
         * @param value the value, or its text
         * @param <T>   the key's value type
         * @return this builder
         */
        public <T> Builder set(ConfigKey<T> key, Object value) {
            raw.put(key, String.valueOf(value));
            origin.put(key, "set");
            return this;
        }

        /**
         * Consumes {@code --key value} and {@code --key=value} pairs for known keys.
         *
         * @param args command-line arguments
         * @return the arguments it did not recognise, in order
         * @throws ConfigException for a secret given as a flag or a flag without its value
         */
        public List<String> args(String... args) {
            List<String> rest = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                // a tuning key's name goes on to flag(), which says how to set it instead
                if (!arg.startsWith("--") || (findByName(flagName(arg)) == null && findTuning(flagName(arg)) == null)) {
                    rest.add(arg);
                    continue;
                }
                int eq = arg.indexOf('=');
                if (eq > 0) {
                    flag(arg.substring(2, eq), arg.substring(eq + 1));
                } else if (i + 1 < args.length) {
                    flag(arg.substring(2), args[++i]);
                } else {
                    throw new ConfigException("Missing value for " + arg);
                }
            }
            return rest;
        }

        /**
         * Validates every value and builds the configuration.
         *
         * @return the configuration, immutable
         * @throws ConfigException naming the first invalid value or pair of values
         */
        public TallyConfig build() {
            Map<ConfigKey<?>, Object> values = new LinkedHashMap<>();
            Map<ConfigKey<?>, String> origins = new LinkedHashMap<>();
            Map<ConfigKey<?>, String> given = new LinkedHashMap<>(raw);
            Map<ConfigKey<?>, String> givenBy = new LinkedHashMap<>(origin);
            for (ConfigKey<?> key : TUNING) {
                String property = systemProperties.apply(key.systemProperty());
                if (property != null && !given.containsKey(key)) {
                    given.put(key, property);
                    givenBy.put(key, "system property " + key.systemProperty());
                }
            }
            for (ConfigKey<?> key : allKeys()) {
                String value = given.get(key);
                values.put(key, value == null ? key.defaultValue() : key.parse(value));
                origins.put(key, givenBy.getOrDefault(key, "default"));
            }
            TallyConfig config = new TallyConfig(values, origins, given);
            config.checkMemberTimeout();
            config.checkPairs();
            return config;
        }

        private static String flagName(String arg) {
            int eq = arg.indexOf('=');
            return eq > 0 ? arg.substring(2, eq) : arg.substring(2);
        }
    }

    /**
     * The key of that name.
     *
     * @param name the key's name, without the leading dashes, e.g. {@code redis-url}
     * @return the key
     * @throws ConfigException when no key has that name
     */
    public static ConfigKey<?> byName(String name) {
        ConfigKey<?> key = findByName(name);
        if (key != null) {
            return key;
        }
        ConfigKey<?> tuning = findTuning(name);
        if (tuning != null) {
            throw new ConfigException("--" + name + " is not an option: it is an implementation knob, set as the JVM "
                    + "system property -D" + tuning.systemProperty() + "=... (docs/architecture.md)");
        }
        throw new ConfigException("Unknown option --" + name);
    }

    private static ConfigKey<?> findByName(String name) {
        for (ConfigKey<?> key : KEYS) {
            if (key.name().equals(name)) {
                return key;
            }
        }
        return DEPRECATED_NAMES.get(name);
    }

    private static ConfigKey<?> findTuning(String name) {
        for (ConfigKey<?> key : TUNING) {
            if (key.name().equals(name)) {
                return key;
            }
        }
        return null;
    }

    private static void warnDeprecated(String old, String current) {
        DeprecationLog.LOG.warn("{} is deprecated and will be removed; use {}", old, current);
    }

    /** Loaded only when an old name is used, so that ConfigDoc runs on common's classes alone. */
    private static final class DeprecationLog {
        static final Logger LOG = LoggerFactory.getLogger(TallyConfig.class);
    }

    private static <T> ConfigKey<T> key(String name, T defaultValue, String doc, Function<String, T> parser) {
        ConfigKey<T> key = new ConfigKey<>(name, defaultValue, doc, parser, false, false);
        KEYS.add(key);
        return key;
    }

    private static <T> ConfigKey<T> tuning(String name, T defaultValue, String doc, Function<String, T> parser) {
        ConfigKey<T> key = new ConfigKey<>(name, defaultValue, doc, parser, false, true);
        TUNING.add(key);
        return key;
    }

    /** Accepts a key's old name too ({@code --<old>} and {@code TALLY_<OLD>}), with a warning. */
    private static <T> ConfigKey<T> renamed(String oldName, ConfigKey<T> key) {
        DEPRECATED_NAMES.put(oldName, key);
        return key;
    }

    private static ConfigKey<String> secret(String name, String doc) {
        ConfigKey<String> key = new ConfigKey<>(name, "", doc, Parsers.string(), true, false);
        KEYS.add(key);
        return key;
    }

    private static String parseNamespace(String s) {
        if (!s.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("1-64 characters of letters, digits, '.', '_' and '-' (no ':' or braces)");
        }
        return s;
    }

    private static String parseProcessorId(String s) {
        if (!s.matches("[A-Za-z0-9._-]{0,100}")) {
            throw new IllegalArgumentException("letters, digits, '.', '_' and '-', at most 100");
        }
        return s;
    }
}
