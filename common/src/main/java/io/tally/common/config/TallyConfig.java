package io.tally.common.config;

import io.tally.common.series.SeriesWindows;

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

    // --- Redis ---
    public static final ConfigKey<String> REDIS_URL = key("redis-url", "redis://127.0.0.1:6379",
            "Redis URL (redis:// or rediss:// for TLS, optional user as redis://user@host:port); for cluster and "
                    + "sentinel a comma-separated seed list. No password here: see TALLY_REDIS_PASSWORD.",
            Parsers.nonBlank());
    public static final ConfigKey<RedisMode> REDIS_MODE = key("redis-mode", RedisMode.STANDALONE,
            "standalone, cluster or sentinel.", Parsers.oneOf(RedisMode.class));
    public static final ConfigKey<String> REDIS_PASSWORD = secret("redis-password",
            "Redis password; environment only (never a flag, so it does not show in ps).");
    public static final ConfigKey<String> REDIS_PASSWORD_FILE = key("redis-password-file", "",
            "File whose first line is the Redis password.", Parsers.string());
    public static final ConfigKey<String> REDIS_SENTINEL_MASTER = key("redis-sentinel-master", "mymaster",
            "Master name to ask Sentinel for (sentinel mode).", Parsers.nonBlank());
    public static final ConfigKey<String> REDIS_TLS_CA_FILE = key("redis-tls-ca-file", "",
            "PEM file of the certificate authority that signed the Redis server certificate (rediss://); "
                    + "empty uses the JVM's trust store.", Parsers.string());
    public static final ConfigKey<Integer> REDIS_TIMEOUT_MS = key("redis-timeout-ms", 3000,
            "Timeout of one Redis command, ms.", Parsers.intRange(100, 120_000));

    // --- Namespace ---
    public static final ConfigKey<String> NAMESPACE = key("namespace", "tally",
            "Key prefix of all Tally keys; letters, digits, '.', '_' and '-'.", TallyConfig::parseNamespace);
    public static final ConfigKey<Integer> PARTITIONS = key("partitions", 0,
            "Number of partitions P. 0: the stored P of an existing namespace, else 16. Fixed once the namespace "
                    + "exists; a process configured with another P refuses to start.", Parsers.intRange(0, 16384));

    // --- Processor ---
    public static final ConfigKey<String> PROCESSOR_ID = key("processor-id", "",
            "Name of this processor (consumer name prefix, lease owner); empty uses the host name.",
            TallyConfig::parseProcessorId);
    public static final ConfigKey<Integer> BATCH_SIZE = key("batch-size", 1000,
            "Entries read and applied per partition in one atomic script call (at most 1000).",
            Parsers.intRange(1, 1000));
    public static final ConfigKey<Integer> FAST_PATH_MIN_READ = key("fast-path-min-read", 0,
            "Entries a partition's read must return to keep it on the fast path, where the processor reads and "
                    + "folds batches; below it apply.lua reads and applies in one call (one round trip less, but "
                    + "several times the Redis CPU per entry). 0: always the fast path; above batch-size turns the "
                    + "fast path off.", Parsers.intRange(0, 1000));
    public static final ConfigKey<Integer> LEASE_TTL_MS = key("lease-ttl-ms", 10_000,
            "Partition lease time-to-live, ms; renewed every TTL/3. A processor that cannot renew loses its partitions "
                    + "after this; a dead or stalled one's move sooner, after member-timeout-ms.",
            Parsers.intRange(1000, 600_000));
    public static final ConfigKey<Integer> MEMBER_TIMEOUT_MS = key("member-timeout-ms", 0,
            "How long a processor may miss heartbeats before the others count it as gone, ms: they reassign "
                    + "its partitions and replace its leases at once, without waiting for them to expire (the lease "
                    + "value fences a processor that was only paused). 0: half the lease TTL (at least 3 ticks). "
                    + "At most the lease TTL. Raise it if processors may stall for longer (long GC pauses).",
            Parsers.intRange(0, 600_000));
    public static final ConfigKey<Integer> TICK_MS = key("tick-ms", 250,
            "Interval of membership heartbeat, assignment and time-trigger checks, ms; at most a third of lease-ttl-ms.", Parsers.intRange(10, 10_000));
    public static final ConfigKey<Integer> TRIGGER_POLL_MS = key("trigger-poll-ms", 50,
            "Interval at which a processor fires due time triggers of its partitions, ms (a trigger fires at most "
                    + "about this late while its partition has an owner).", Parsers.intRange(10, 1000));
    public static final ConfigKey<HotPathConnection> HOT_PATH_CONNECTION = key("hot-path-connection",
            HotPathConnection.DIRECT,
            "How the two hot paths, the processor's reads and apply scripts and the producer's appends, talk to a "
                    + "standalone Redis. direct: over a connection of their own, with a parser that reads replies "
                    + "straight from the socket buffer; redisson: through the Redisson client. Cluster, Sentinel and "
                    + "acks=replicas always use redisson.", Parsers.oneOf(HotPathConnection.class));
    public static final ConfigKey<Integer> IDLE_POLL_MS = key("idle-poll-ms", 10,
            "Longest pause between reads when no partition has new entries, ms.", Parsers.intRange(1, 1000));
    public static final ConfigKey<SeriesWindows> SERIES_WINDOWS = key("series-windows",
            SeriesWindows.parse(SeriesWindows.DEFAULT),
            "Windows an entry's 'windows' field may name, each with how long its buckets are kept after they end "
                    + "(window=retention; units s, m, h, d). An entry naming another window is a dead letter.",
            SeriesWindows::parse);
    public static final ConfigKey<Long> SERIES_FUTURE_MS = key("series-future-ms", 300_000L,
            "How far an entry's ts may lie ahead of its stream id's time and still pick its series buckets, ms; "
                    + "a later ts (a wrong clock) is replaced by the id's time.", Parsers.longRange(0, 86_400_000L));
    public static final ConfigKey<Integer> HTTP_PORT = key("http-port", "TALLY_METRICS_PORT", 9400,
            "Port of the processor's metrics and health HTTP server (0: any free port).", Parsers.intRange(0, 65535));
    public static final ConfigKey<String> HTTP_HOST = key("http-host", "0.0.0.0",
            "Address the processor's metrics and health HTTP server listens on. Every address by default, so that "
                    + "probes and Prometheus reach it from outside the container; 127.0.0.1 keeps it on the host.",
            Parsers.nonBlank());

    // --- Producer ---
    public static final ConfigKey<Integer> PRODUCER_BATCH_SIZE = key("producer-batch-size", 500,
            "Most entries a producer sends in one pipeline.", Parsers.intRange(1, 10_000));
    public static final ConfigKey<Integer> PRODUCER_LINGER_MS = key("producer-linger-ms", 1,
            "How long a producer waits to fill a batch before sending it, ms.", Parsers.intRange(0, 10_000));
    public static final ConfigKey<Integer> PRODUCER_MAX_IN_FLIGHT = key("producer-max-in-flight", 4,
            "Pipelines a producer keeps in flight (each owns a share of the partitions, so order per partition holds).",
            Parsers.intRange(1, 64));
    public static final ConfigKey<Integer> PRODUCER_BUFFER = key("producer-buffer", 100_000,
            "Sends a producer queues before send() fails fast with a backpressure error.", Parsers.intRange(1, 10_000_000));
    public static final ConfigKey<Boolean> PRODUCER_IDEMPOTENCE = key("producer-idempotence", true,
            "Producer sessions: each producer numbers its sends per stream and the append script drops a number it "
                    + "has seen, so a send retried after a lost reply or a broken connection is written once, with or "
                    + "without an operation id. false: plain appends, for measuring them; a send without an id whose "
                    + "reply is lost then fails as outcome unknown.", Parsers.bool());
    public static final ConfigKey<Long> SEND_TIMEOUT_MS = key("send-timeout-ms", 10_000L,
            "Time a send may take before it fails (sends are retried within it: all of them with producer-idempotence, "
                    + "else those with an operation id).",
            Parsers.longRange(100, 600_000));
    public static final ConfigKey<Long> DEDUPE_WINDOW_MS = key("dedupe-window-ms", 600_000L,
            "How long an operation id is remembered for idempotent sends, ms; at least twice send-timeout-ms.", Parsers.longRange(1000, 7L * 24 * 3600 * 1000));
    public static final ConfigKey<Acks> ACKS = key("acks", Acks.LEADER,
            "leader: a send is done when the master has it; replicas: also one replica (WAIT).", Parsers.oneOf(Acks.class));
    public static final ConfigKey<Long> BACKLOG_LIMIT = key("backlog-limit", 1_000_000L,
            "Backlog (lag + pending of the slowest group) of a partition above which sends fail fast; 0 disables.",
            Parsers.longRange(0, Long.MAX_VALUE));

    // --- HTTP ingest service ---
    public static final ConfigKey<Integer> API_PORT = key("api-port", 8080,
            "Port of the HTTP ingest service (tally serve --port; 0: any free port).", Parsers.intRange(0, 65535));
    public static final ConfigKey<String> API_HOST = key("api-host", "0.0.0.0",
            "Address the HTTP ingest service listens on.", Parsers.nonBlank());
    public static final ConfigKey<String> API_TOKENS = secret("api-tokens",
            "Comma-separated bearer tokens the HTTP service accepts; environment only (never a flag).");
    public static final ConfigKey<String> API_TOKENS_FILE = key("api-tokens-file", "",
            "File of bearer tokens the HTTP service accepts, one per line ('#' starts a comment).", Parsers.string());
    public static final ConfigKey<Boolean> API_INSECURE = key("insecure", "TALLY_API_INSECURE", false,
            "Lets the HTTP service start without any bearer token: every request is accepted. For local trials only.",
            Parsers.bool());
    public static final ConfigKey<Integer> API_MAX_BODY_BYTES = key("api-max-body-bytes", 65_536,
            "Largest request body of a single-operation HTTP request, bytes (larger: 413).",
            Parsers.intRange(1024, 16 * 1024 * 1024));
    public static final ConfigKey<Long> API_MAX_BATCH_BYTES = key("api-max-batch-bytes", 64L * 1024 * 1024,
            "Largest NDJSON body of POST /v1/batch, bytes (larger: 413); at least api-max-body-bytes.", Parsers.longRange(1024, Long.MAX_VALUE));
    public static final ConfigKey<Integer> API_MAX_WAITS = key("api-max-waits", 1000,
            "Read-your-writes waits (GET /v1/counters/{name}?after=) the HTTP service holds open at once; beyond: "
                    + "503 with Retry-After. A wait holds no thread, only a little memory.",
            Parsers.intRange(1, 1_000_000));
    // --- Retention ---
    private static final long DAY_MS = 24L * 3600 * 1000;
    private static final long MAX_RETENTION_MS = 3650 * DAY_MS;
    public static final ConfigKey<Long> FIRINGS_RETENTION_MS = key("firings-retention-ms", 7 * DAY_MS,
            "How long firings are kept, ms, judged by their entry id on Redis time. A firing that some consumer "
                    + "group (FiringsConsumer) has not acknowledged is kept however old. 0 keeps firings forever.",
            Parsers.longRange(0, MAX_RETENTION_MS));
    public static final ConfigKey<Long> DLQ_RETENTION_MS = key("dlq-retention-ms", 7 * DAY_MS,
            "How long dead letters (the dlq and firings-dlq streams) are kept, ms. 0 keeps them forever.",
            Parsers.longRange(0, MAX_RETENTION_MS));
    // --- Bounds per tenant (triggers) ---
    public static final ConfigKey<Integer> MAX_TRIGGERS_PER_KEY = key("max-triggers-per-key", 1000,
            "Most active triggers on one routing key (an event type or a counter); creating one more is refused "
                    + "(HTTP 422, CLI exit 2). Bounds the firings one entry can cause.", Parsers.intRange(1, 100_000));
    public static final ConfigKey<Integer> MAX_TRIGGERS = key("max-triggers", 100_000,
            "Most triggers a namespace stores (active, and finished ones until finished-trigger-retention-ms "
                    + "deletes them); creating one more is refused (HTTP 422, CLI exit 2).",
            Parsers.intRange(1, 10_000_000));
    public static final ConfigKey<Integer> MAX_FIRINGS_PER_CALL = key("max-firings-per-call", 1000,
            "Most firings one apply script call appends; a batch that would fire more is applied in parts (an "
                    + "entry's own firings are never split), so one call's writes stay bounded.",
            Parsers.intRange(1, 100_000));
    public static final ConfigKey<Long> FINISHED_TRIGGER_RETENTION_MS = key("finished-trigger-retention-ms", DAY_MS,
            "How long a fired or canceled trigger stays readable before it is deleted with all its state, ms. "
                    + "0 keeps finished triggers forever.", Parsers.longRange(0, MAX_RETENTION_MS));

    private final Map<ConfigKey<?>, Object> values;
    private final Map<ConfigKey<?>, String> origins;
    private final Map<ConfigKey<?>, String> raw;

    private TallyConfig(Map<ConfigKey<?>, Object> values, Map<ConfigKey<?>, String> origins, Map<ConfigKey<?>, String> raw) {
        this.values = Collections.unmodifiableMap(values);
        this.origins = Collections.unmodifiableMap(origins);
        this.raw = Map.copyOf(raw);
    }

    /** Every key, in declaration order. */
    public static List<ConfigKey<?>> keys() {
        return Collections.unmodifiableList(KEYS);
    }

    /** Defaults overridden by the given environment (e.g. {@code System.getenv()}). */
    public static TallyConfig fromEnv(Map<String, String> env) {
        return builder().env(env).build();
    }

    public static TallyConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder preloaded with this configuration's explicit values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.raw.putAll(raw);
        raw.keySet().forEach(key -> b.origin.put(key, origins.get(key)));
        return b;
    }

    @SuppressWarnings("unchecked")
    public <T> T get(ConfigKey<T> key) {
        return (T) values.get(key);
    }

    public String redisUrl() {
        return get(REDIS_URL);
    }

    public String namespace() {
        return get(NAMESPACE);
    }

    /** True when the key was given (flag, environment or {@link Builder#set}) rather than left at its default. */
    public boolean isSet(ConfigKey<?> key) {
        return raw.containsKey(key);
    }

    /** The configured P, or 0 when it should come from the namespace (else 16). */
    public int partitions() {
        return get(PARTITIONS);
    }

    /**
     * The Redis password from {@code TALLY_REDIS_PASSWORD} or the password file, or null. Read when
     * the client is built and never logged.
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

    /** The effective configuration, one key per line, secrets masked; for the start-up log. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (ConfigKey<?> key : KEYS) {
            Object value = values.get(key);
            String shown = key.secret() ? (value == null || value.toString().isEmpty() ? "(unset)" : "****") : String.valueOf(value);
            sb.append("  ").append(key.name()).append(" = ").append(shown)
                    .append(" (").append(origins.get(key)).append(")\n");
        }
        return sb.toString();
    }

    /**
     * The member timeout in effect, ms: {@code member-timeout-ms}, or half the lease TTL (at least three
     * ticks) when it is 0.
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

        private Builder() {
        }

        /** Takes every {@code TALLY_*} variable that names a key. Flags set later win. */
        public Builder env(Map<String, String> env) {
            for (ConfigKey<?> key : KEYS) {
                String value = env.get(key.env());
                if (value != null && !origin.containsKey(key)) {
                    raw.put(key, value);
                    origin.put(key, "env " + key.env());
                }
            }
            return this;
        }

        /** Sets a key from a command-line flag. Secrets are refused: they would show in {@code ps}. */
        public Builder flag(String name, String value) {
            ConfigKey<?> key = byName(name);
            if (key.secret()) {
                throw new ConfigException("--" + name + " is not accepted on the command line; set "
                        + key.env() + " or use --" + name + "-file");
            }
            raw.put(key, value);
            origin.put(key, "flag");
            return this;
        }

        public <T> Builder set(ConfigKey<T> key, Object value) {
            raw.put(key, String.valueOf(value));
            origin.put(key, "set");
            return this;
        }

        /**
         * Consumes {@code --key value} and {@code --key=value} pairs for known keys and returns the
         * arguments it did not recognise, in order.
         */
        public List<String> args(String... args) {
            List<String> rest = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (!arg.startsWith("--") || findByName(flagName(arg)) == null) {
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

        public TallyConfig build() {
            Map<ConfigKey<?>, Object> values = new LinkedHashMap<>();
            Map<ConfigKey<?>, String> origins = new LinkedHashMap<>();
            for (ConfigKey<?> key : KEYS) {
                String value = raw.get(key);
                values.put(key, value == null ? key.defaultValue() : key.parse(value));
                origins.put(key, origin.getOrDefault(key, "default"));
            }
            TallyConfig config = new TallyConfig(values, origins, raw);
            config.checkMemberTimeout();
            config.checkPairs();
            return config;
        }

        private static String flagName(String arg) {
            int eq = arg.indexOf('=');
            return eq > 0 ? arg.substring(2, eq) : arg.substring(2);
        }
    }

    public static ConfigKey<?> byName(String name) {
        ConfigKey<?> key = findByName(name);
        if (key == null) {
            throw new ConfigException("Unknown option --" + name);
        }
        return key;
    }

    private static ConfigKey<?> findByName(String name) {
        for (ConfigKey<?> key : KEYS) {
            if (key.name().equals(name)) {
                return key;
            }
        }
        return null;
    }

    private static <T> ConfigKey<T> key(String name, T defaultValue, String doc, Function<String, T> parser) {
        return key(name, ConfigKey.defaultEnv(name), defaultValue, doc, parser);
    }

    private static <T> ConfigKey<T> key(String name, String env, T defaultValue, String doc, Function<String, T> parser) {
        ConfigKey<T> key = new ConfigKey<>(name, env, defaultValue, doc, parser, false);
        KEYS.add(key);
        return key;
    }

    private static ConfigKey<String> secret(String name, String doc) {
        ConfigKey<String> key = new ConfigKey<>(name, ConfigKey.defaultEnv(name), "", doc, Parsers.string(), true);
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
