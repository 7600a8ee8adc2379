package io.tally.common.config;

import io.tally.common.internal.config.SecretFile;
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
 * The one configuration object of every Tally process. Its constants are the keys, each with its doc,
 * default, validator, flag and {@code TALLY_*} environment variable; the README's table is generated
 * from {@link #keys()}. Values come from flags, then environment, then defaults; the object is
 * validated when built and immutable afterwards.
 */
public final class TallyConfig extends ConfigCatalogue {
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
            CrossKeyChecks.check(config);
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

    private static void warnDeprecated(String old, String current) {
        DeprecationLog.LOG.warn("{} is deprecated and will be removed; use {}", old, current);
    }

    /** Loaded only when an old name is used, so that ConfigDoc runs on common's classes alone. */
    private static final class DeprecationLog {
        static final Logger LOG = LoggerFactory.getLogger(TallyConfig.class);
    }
}
