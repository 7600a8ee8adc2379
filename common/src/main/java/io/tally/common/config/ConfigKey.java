package io.tally.common.config;

import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * One documented configuration key: its command-line flag, its {@code TALLY_*} environment
 * variable, its default, and the parser that validates a raw value.
 *
 * @param <T> the value type
 */
public final class ConfigKey<T> {
    private final String name;
    private final T defaultValue;
    private final String doc;
    private final Function<String, T> parser;
    private final boolean secret;
    private final boolean tuning;

    ConfigKey(String name, T defaultValue, String doc, Function<String, T> parser, boolean secret, boolean tuning) {
        this.name = Objects.requireNonNull(name);
        this.defaultValue = defaultValue;
        this.doc = Objects.requireNonNull(doc);
        this.parser = Objects.requireNonNull(parser);
        this.secret = secret;
        this.tuning = tuning;
    }

    /**
     * The key's name, which is also its flag without the leading dashes.
     *
     * @return e.g. {@code redis-url}
     */
    public String name() {
        return name;
    }

    /**
     * The key's command-line flag.
     *
     * @return e.g. {@code --redis-url}
     */
    public String flag() {
        return flagOf(name);
    }

    /**
     * The key's environment variable.
     *
     * @return e.g. {@code TALLY_REDIS_URL}
     */
    public String env() {
        return envOf(name);
    }

    /**
     * The JVM system property of a tuning key.
     *
     * @return e.g. {@code tally.fast-path-min-read}
     */
    public String systemProperty() {
        return "tally." + name;
    }

    /**
     * The value used when the key is not set.
     *
     * @return the default
     */
    public T defaultValue() {
        return defaultValue;
    }

    /**
     * What the key means, as the README's configuration table shows it.
     *
     * @return one or a few sentences
     */
    public String doc() {
        return doc;
    }

    /**
     * Whether the key is a secret: masked when the effective configuration is logged, and never taken
     * from a flag.
     *
     * @return true for a secret
     */
    public boolean secret() {
        return secret;
    }

    /**
     * Whether this is an implementation knob: set only by {@link #systemProperty()} (or in code), never
     * by a flag or a {@code TALLY_*} variable, and left out of the user's configuration table.
     *
     * @return true for a tuning key
     */
    public boolean tuning() {
        return tuning;
    }

    /**
     * Parses and validates a raw value.
     *
     * @param raw the value as given (surrounding blanks are ignored)
     * @return the value
     * @throws ConfigException naming the key and why the value is wrong
     */
    public T parse(String raw) {
        try {
            return parser.apply(raw.trim());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("Invalid value '" + (secret ? "****" : raw) + "' for " + source() + ": "
                    + e.getMessage());
        }
    }

    /** Where a value of this key comes from, as a user would write it. */
    String source() {
        return tuning ? "-D" + systemProperty() : flag() + " (" + env() + ")";
    }

    static String flagOf(String name) {
        return "--" + name;
    }

    static String envOf(String name) {
        return "TALLY_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    @Override
    public String toString() {
        return name;
    }
}
