package io.tally.app.cli;

import io.tally.common.config.TallyConfig;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The connection options every command shares, mapped onto {@link TallyConfig} keys; unset flags
 * fall back to the {@code TALLY_*} environment, then to the defaults. Passwords come only from
 * {@code TALLY_REDIS_PASSWORD} or {@code --redis-password-file}, never from a flag.
 */
public final class ConfigOptions implements EnvAware {
    @Option(names = "--redis-url", paramLabel = "URL",
            description = "Redis URL, no password (TALLY_REDIS_URL, default redis://127.0.0.1:6379).")
    String redisUrl;

    @Option(names = "--redis-mode", paramLabel = "MODE",
            description = "standalone, cluster or sentinel (TALLY_REDIS_MODE).")
    String redisMode;

    @Option(names = "--redis-password-file", paramLabel = "FILE",
            description = "File whose first line is the Redis password (or set TALLY_REDIS_PASSWORD).")
    String redisPasswordFile;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS", description = "Namespace (TALLY_NAMESPACE, default tally).")
    String namespace;

    @Option(names = "--partitions", paramLabel = "P",
            description = "Partitions (TALLY_PARTITIONS); unset: the namespace's stored P, else 16.")
    String partitions;

    @Option(names = "--verbose", description = "On a failure, print the stack trace after the one-line message.")
    boolean verbose;

    private Map<String, String> env = System.getenv();

    @Override
    public void env(Map<String, String> env) {
        this.env = env;
    }

    public Map<String, String> env() {
        return env;
    }

    /** A builder with the environment and these flags applied; callers may set more keys. */
    public TallyConfig.Builder builder() {
        TallyConfig.Builder b = TallyConfig.builder().env(env);
        flags().forEach(b::flag);
        return b;
    }

    public TallyConfig config() {
        return builder().build();
    }

    /** True when a Redis URL was given by flag or environment (not just the default). */
    public boolean redisUrlGiven() {
        return redisUrl != null || env.get(TallyConfig.REDIS_URL.env()) != null;
    }

    /** The flags that were given, by config key name. */
    Map<String, String> flags() {
        Map<String, String> f = new LinkedHashMap<>();
        put(f, TallyConfig.REDIS_URL.name(), redisUrl);
        put(f, TallyConfig.REDIS_MODE.name(), redisMode);
        put(f, TallyConfig.REDIS_PASSWORD_FILE.name(), redisPasswordFile);
        put(f, TallyConfig.NAMESPACE.name(), namespace);
        put(f, TallyConfig.PARTITIONS.name(), partitions);
        return f;
    }

    private static void put(Map<String, String> f, String key, String value) {
        if (value != null) {
            f.put(key, value);
        }
    }
}
