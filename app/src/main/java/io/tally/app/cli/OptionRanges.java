package io.tally.app.cli;

import io.tally.common.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.lang.reflect.Field;
import java.util.Optional;

/**
 * Checks the numeric options of every command against their {@link OptionRange}, in one place rather than an
 * {@code if} per command: a negative wait, a zero limit or a port past 65535 is a one-line usage error (exit 2)
 * before the command connects to Redis. Installed by {@link Cli} as part of its execution strategy, so that no
 * command can forget it.
 */
final class OptionRanges {
    private OptionRanges() {
    }

    /** Runs the command {@code parseResult} names, after help requests and once its numeric options are in range. */
    static int execute(ParseResult parseResult) {
        Integer help = CommandLine.executeHelpRequest(parseResult);
        if (help != null) {
            return help;
        }
        ParseResult leaf = parseResult;
        while (leaf.hasSubcommand()) {
            leaf = leaf.subcommand();
        }
        try {
            check(leaf.commandSpec());
        } catch (ConfigException outOfRange) {
            // handed to the execution exception handler, which prints a ConfigException as one line, exit 2
            throw new CommandLine.ExecutionException(leaf.commandSpec().commandLine(), outOfRange.getMessage(), outOfRange);
        }
        return new CommandLine.RunLast().execute(parseResult);
    }

    /**
     * Checks every option of {@code spec} (its mixins' too) that has an {@link OptionRange}.
     *
     * @throws ConfigException naming the first option out of range and its range
     */
    static void check(CommandSpec spec) {
        for (OptionSpec option : spec.options()) {
            Optional<OptionRange> range = rangeOf(option);
            Object value = option.getValue();
            if (range.isPresent() && value instanceof Number n && !within(n.doubleValue(), range.get())) {
                throw new ConfigException("Invalid value " + shown(n) + " for " + option.longestName() + ": "
                        + describe(range.get()));
            }
        }
    }

    /**
     * The one line for a value picocli could not convert to an option's number (not a number, or past its type),
     * when the option has a range: it says which values the option takes.
     */
    static Optional<String> conversionFailure(CommandLine.ParameterException e) {
        ArgSpec arg = e.getArgSpec();
        if (!(arg instanceof OptionSpec option) || e.getValue() == null) {
            return Optional.empty();
        }
        return rangeOf(option).map(range -> "Invalid value '" + TerminalText.safe(e.getValue()) + "' for "
                + option.longestName() + ": " + describe(range));
    }

    private static Optional<OptionRange> rangeOf(OptionSpec option) {
        return option.userObject() instanceof Field field
                ? Optional.ofNullable(field.getAnnotation(OptionRange.class)) : Optional.empty();
    }

    private static boolean within(double v, OptionRange range) {
        // written so that NaN is outside every range
        return (range.minExclusive() ? v > range.min() : v >= range.min()) && v <= range.max();
    }

    /** The accepted values, e.g. {@code must be from 1 to 10000}. */
    static String describe(OptionRange range) {
        String bounds = range.minExclusive()
                ? "must be above " + shown(range.min()) + " and at most " + shown(range.max())
                : "must be from " + shown(range.min()) + " to " + shown(range.max());
        return range.note().isEmpty() ? bounds : bounds + " (" + range.note() + ")";
    }

    private static String shown(Number n) {
        double d = n.doubleValue();
        boolean integral = n instanceof Integer || n instanceof Long || (d == Math.rint(d) && Math.abs(d) < 1e15);
        return integral ? Long.toString(n.longValue()) : Double.toString(d);
    }
}
