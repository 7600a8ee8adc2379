package io.tally.app.cli;

import io.tally.common.config.ConfigException;

import java.util.List;

/**
 * The reason codes a dead letter can carry (docs/wire-format.md, "Dead letters"), so that
 * {@code tally dlq --reason} refuses a code no dead letter can have instead of matching nothing.
 */
final class DeadLetterReasons {
    /** Every reason, in the order of the wire format's table. */
    static final List<String> ALL = List.of("missing_field", "empty_field", "too_long", "control_char", "bad_utf8",
            "unknown_op", "bad_windows", "bad_number", "overflow", "not_integer", "not_hll", "wrong_partition",
            "too_many_fields", "too_many_params", "too_large", "script_error", "future_id");

    private DeadLetterReasons() {
    }

    /** The reason, when it is one; else a configuration error naming the valid ones. */
    static String check(String reason) {
        if (reason != null && !ALL.contains(reason)) {
            throw new ConfigException("Invalid value '" + TerminalText.safe(reason) + "' for --reason: must be one of "
                    + String.join(", ", ALL));
        }
        return reason;
    }
}
