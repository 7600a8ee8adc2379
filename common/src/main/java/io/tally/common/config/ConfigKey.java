package io.tally.common.config;

import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * One documented configuration key: its default, its doc, and the parser that validates a raw value.
 * A user's key is set by the flag {@code --<name>} or the environment variable {@code TALLY_<NAME>}
 * (upper case, '-' as '_'): both derive from the one name, so a flag and its variable never disagree.
 * A tuning key (an implementation knob for benchmarks and tests, not in the user's table) is set only
 * by the JVM system property {@code tally.<name>}.
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

    /** The key's name, e.g. {@code redis-url}; its flag, variable and property derive from it. */
    public String name() {
        return name;
    }

    /** The command-line flag, e.g. {@code --redis-url}. */
    public String flag() {
        return flagOf(name);
    }

    /** Environment variable, e.g. {@code TALLY_REDIS_URL}. */
    public String env() {
        return envOf(name);
    }

    /** The JVM system property of a tuning key, e.g. {@code tally.fast-path-min-read}. */
    public String systemProperty() {
        return "tally." + name;
    }

    public T defaultValue() {
        return defaultValue;
    }

    public String doc() {
        return doc;
    }

    /** Secrets are masked when the effective configuration is logged and never taken from a flag. */
    public boolean secret() {
        return secret;
    }

    /**
     * True for an implementation knob: set only by {@link #systemProperty()} (or in code), never by a
     * flag or a {@code TALLY_*} variable, and left out of the user's configuration table.
     */
    public boolean tuning() {
        return tuning;
    }

    /** Parses and validates a raw value; the message says which key was wrong and why. */
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
