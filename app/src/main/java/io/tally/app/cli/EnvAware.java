package io.tally.app.cli;

import java.util.Map;

/** A command or mixin that reads {@code TALLY_*} variables; {@link Cli} hands it the environment. */
public interface EnvAware {
    void env(Map<String, String> env);
}
