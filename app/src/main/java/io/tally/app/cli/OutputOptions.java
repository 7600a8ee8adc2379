package io.tally.app.cli;

import picocli.CommandLine.Option;

/** {@code --full}, shared by the commands that print values read from Redis (see {@link TerminalText}). */
public final class OutputOptions {
    @Option(names = "--full", order = Cli.ORDER_LAST - 2, description = "Print long values whole instead of cutting them after "
            + TerminalText.DEFAULT_MAX + " characters (control characters stay escaped).")
    boolean full;

    /** Text made safe for the terminal, cut unless {@code --full} was given. */
    String safe(String text) {
        return TerminalText.safe(text, max());
    }

    /** A JSON document made safe for the terminal, its long strings cut unless {@code --full} was given. */
    String json(String json) {
        return TerminalText.json(json, max());
    }

    int max() {
        return full ? 0 : TerminalText.DEFAULT_MAX;
    }
}
