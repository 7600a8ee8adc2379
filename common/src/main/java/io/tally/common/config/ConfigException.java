package io.tally.common.config;

/** A configuration or usage error; the command line exits with code 2. */
public final class ConfigException extends RuntimeException {
    /**
     * An error whose message names the key or option at fault and the rule it breaks.
     *
     * @param message what is wrong, and how to fix it
     */
    public ConfigException(String message) {
        super(message);
    }
}
