package io.tally.common.config;

import io.tally.common.series.SeriesWindows;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The catalogue of {@link TallyConfig}'s keys: each declared once with its doc, default, validator, flag
 * and {@code TALLY_*} environment variable, in the order of the README's generated table. Package-private:
 * {@code TallyConfig} extends it only to carry these constants, so users name them
 * {@code TallyConfig.REDIS_URL} and javadoc shows them there; this file holds what the keys are,
 * {@code TallyConfig} how values are gathered, checked and read.
 */
abstract class ConfigCatalogue {
    /** The keys set by flag and environment, in declaration order. */
    static final List<ConfigKey<?>> KEYS = new ArrayList<>();
    /** The implementation knobs, set by system property. */
    static final List<ConfigKey<?>> TUNING = new ArrayList<>();
    /** Old names still accepted, as a flag and as an environment variable, for a renamed key. */
    static final Map<String, ConfigKey<?>> DEPRECATED_NAMES = new LinkedHashMap<>();

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
            "Key prefix of all Tally keys; letters, digits, '.', '_' and '-'.", ConfigCatalogue::parseNamespace);
    /** {@code partitions}: Number of partitions P. */
    public static final ConfigKey<Integer> PARTITIONS = key("partitions", 0,
            "Number of partitions P. 0: the stored P of an existing namespace, else 16. Fixed once the namespace "
                    + "exists; a process configured with another P refuses to start.", Parsers.intRange(0, 16384));

    // --- Processor ---
    /** {@code processor-id}: Name of this processor (consumer name prefix, lease owner). */
    public static final ConfigKey<String> PROCESSOR_ID = key("processor-id", "",
            "Name of this processor (consumer name prefix, lease owner); empty uses the host name.",
            ConfigCatalogue::parseProcessorId);
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
     * {@code producer-buffer-bytes}: Bytes of entries a producer queues before send() fails fast with a
     * backpressure error; bounds its memory when entries are large (an event may carry 6.5 MB).
     */
    public static final ConfigKey<Long> PRODUCER_BUFFER_BYTES = key("producer-buffer-bytes", 32L * 1024 * 1024,
            "Bytes of entries a producer queues before send() fails fast with a backpressure error; bounds its memory "
                    + "when entries are large (an event may carry 6.5 MB). A send into an empty buffer is always taken.",
            Parsers.longRange(1, 1L << 40));
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
            "Largest NDJSON body of POST /v1/batch, bytes (larger: 413; a chunked body that passes it after lines "
                    + "were sent: 200 with complete false, docs/api.md); at least api-max-body-bytes.",
            Parsers.longRange(1024, Long.MAX_VALUE));
    /** {@code api-max-invalid-lines}: Invalid lines one POST /v1/batch may have before the service stops reading it. */
    public static final ConfigKey<Integer> API_MAX_INVALID_LINES = key("api-max-invalid-lines", 1000,
            "Invalid lines (malformed, or refused before they are sent) one POST /v1/batch may have; at the next "
                    + "one the service stops reading the batch and answers 400 naming the lines written and the line "
                    + "to send again from (docs/api.md). 0: the first invalid line stops the batch.",
            Parsers.intRange(0, 1_000_000));
    /**
     * {@code api-max-waits}: Read-your-writes waits (GET /v1/counters/{name}?after=) the HTTP service holds
     * open at once.
     */
    public static final ConfigKey<Integer> API_MAX_WAITS = key("api-max-waits", 1000,
            "Read-your-writes waits (GET /v1/counters/{name}?after=) the HTTP service holds open at once; beyond: "
                    + "503 with Retry-After. A wait holds no thread, only a little memory.",
            Parsers.intRange(1, 1_000_000));
    /**
     * {@code api-request-read-timeout-ms}: Longest time a client may take to send one HTTP request, headers
     * and body, ms.
     */
    public static final ConfigKey<Integer> API_REQUEST_READ_TIMEOUT_MS = key("api-request-read-timeout-ms", 60_000,
            "Longest time a client may take to send one HTTP request, headers and body, ms; past it a request whose "
                    + "body was being read is answered 400 (a batch says which lines it wrote, docs/api.md) and the "
                    + "connection is closed. Raise it for large batches over slow links.",
            Parsers.intRange(100, 3_600_000));
    /** {@code api-max-connections}: HTTP connections the service holds open at once. */
    public static final ConfigKey<Integer> API_MAX_CONNECTIONS = key("api-max-connections", 512,
            "HTTP connections the service holds open at once; beyond, new ones wait in the accept backlog until "
                    + "one closes. At the limit, a connection idle for a second between requests (or since it opened) "
                    + "is closed to make room; one whose request has arrived is answered, however long it waits for a "
                    + "thread. The service has a request thread for each, so slow clients never take every thread.",
            Parsers.intRange(8, 100_000));
    /** {@code api-max-connections-per-client}: HTTP connections the service holds open at once from one address. */
    public static final ConfigKey<Integer> API_MAX_CONNECTIONS_PER_CLIENT = key("api-max-connections-per-client", 64,
            "HTTP connections the service holds open at once from one remote address (IPv6: one /64 network); beyond, a new one from it is "
                    + "closed as it is accepted, while other addresses are served. At or above api-max-connections: no "
                    + "cap per address. Clients behind one proxy or NAT share an address.",
            Parsers.intRange(1, 100_000));
    /** {@code api-max-in-flight-per-token}: HTTP requests the service serves at once for one bearer token. */
    public static final ConfigKey<Integer> API_MAX_IN_FLIGHT_PER_TOKEN = key("api-max-in-flight-per-token", 256,
            "HTTP requests the service serves at once for one bearer token, from the token's acceptance to the end "
                    + "of the answer (a read-your-writes wait included); beyond, the token's next request is answered "
                    + "429 with Retry-After at once, while other tokens are served. 0, or at or above "
                    + "api-max-connections: no cap per token. With --insecure and no tokens, every request counts as "
                    + "one token.",
            Parsers.intRange(0, 100_000));
    /**
     * {@code api-max-ops-per-second-per-token}: Operations and events one bearer token may send through the HTTP
     * service per second, on average.
     */
    public static final ConfigKey<Integer> API_MAX_OPS_PER_SECOND_PER_TOKEN = key("api-max-ops-per-second-per-token",
            50_000,
            "Operations and events one bearer token may send through the HTTP service per second, on average (a "
                    + "counter operation, an event, each line of a batch); beyond, 429 with Retry-After and nothing "
                    + "written (a batch stops at that line and says which lines it wrote). A quarter of what one "
                    + "processor applies, so that one token cannot fill a partition's backlog for every other. 0: no "
                    + "rate per token. With --insecure and no tokens, every request counts as one token.",
            Parsers.intRange(0, 10_000_000));
    /** {@code api-max-ops-burst-per-token}: Operations one bearer token may send at once above its rate. */
    public static final ConfigKey<Integer> API_MAX_OPS_BURST_PER_TOKEN = key("api-max-ops-burst-per-token", 100_000,
            "Operations and events one bearer token may send at once, after sending none for a while (the size of "
                    + "its bucket, which api-max-ops-per-second-per-token fills).",
            Parsers.intRange(1, 100_000_000));
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
    /**
     * {@code max-time-firings-per-second}: Most firings a second the active repeating time triggers of a namespace
     * may add together.
     */
    public static final ConfigKey<Integer> MAX_TIME_FIRINGS_PER_SECOND = key("max-time-firings-per-second", 10,
            "Most firings a second the active repeating time triggers of a namespace may add together (a trigger "
                    + "repeating every E ms adds 1000/E); creating one that would pass it is refused (HTTP 422, CLI "
                    + "exit 2). At 10 a second the firings kept for the default firings-retention-ms (7 days) take "
                    + "about 0.8 GB of Redis memory without params; raise it with a shorter retention.",
            Parsers.intRange(1, 1_000_000));
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
     * hot paths talk to Redis.
     */
    public static final ConfigKey<HotPathConnection> HOT_PATH_CONNECTION = tuning("hot-path-connection",
            HotPathConnection.DIRECT,
            "How the two hot paths, the processor's reads and apply scripts and the producer's appends, talk to "
                    + "Redis. direct: over connections of their own, with a parser that reads replies straight from "
                    + "the socket buffer (on a Cluster one per master, routed by slot); redisson: through the "
                    + "Redisson client. Sentinel and the producer with acks=replicas always use redisson.", Parsers.oneOf(HotPathConnection.class));

    ConfigCatalogue() {
    }

    /** Every key, tuning keys last. */
    static List<ConfigKey<?>> allKeys() {
        List<ConfigKey<?>> all = new ArrayList<>(KEYS);
        all.addAll(TUNING);
        return all;
    }

    /** The flag-and-environment key of that name or old name, or null. */
    static ConfigKey<?> findByName(String name) {
        for (ConfigKey<?> key : KEYS) {
            if (key.name().equals(name)) {
                return key;
            }
        }
        return DEPRECATED_NAMES.get(name);
    }

    /** The tuning key of that name, or null. */
    static ConfigKey<?> findTuning(String name) {
        for (ConfigKey<?> key : TUNING) {
            if (key.name().equals(name)) {
                return key;
            }
        }
        return null;
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
