package io.tally.common.config;

/** A configuration or usage error; the command line exits with code 2. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
