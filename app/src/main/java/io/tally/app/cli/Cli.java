package io.tally.app.cli;

import io.tally.common.config.ConfigException;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.RedisFailures;
import io.tally.common.model.InvalidEntryException;
import io.tally.producer.OutcomeUnknownException;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds and runs picocli command lines the Tally way: the environment is handed to every
 * {@link EnvAware} command and mixin (tests pass their own), configuration and input errors exit
 * with 2 and a one-line message, runtime failures with 1.
 */
public final class Cli {
    /** Exit code of a usage or configuration error. */
    public static final int USAGE = 2;
    /** Exit code of a runtime failure. */
    public static final int FAILURE = 1;
    /** Ends every command's help: where a flag's value comes from when it is not given. */
    static final String FOOTER = "A configuration option not given is read from its TALLY_* variable, else its default.";
    /** Help lists a command's own options first (unordered ones keep their order), these last. */
    static final int ORDER_LAST = 1000;
    /** Characters of an error line kept: it may quote what another program wrote to Redis. */
    static final int MESSAGE_MAX = 1000;
    /** Narrowest help picocli lays out. */
    static final int MIN_WIDTH = 55;

    private Cli() {
    }

    /** A command line for {@code root} and {@code subcommands} whose commands see {@code env}. */
    public static CommandLine commandLine(Object root, List<Class<?>> subcommands, Map<String, String> env,
                                          PrintWriter out, PrintWriter err) {
        CommandLine.IFactory factory = envFactory(env);
        CommandLine cmd = root instanceof Class<?> c ? new CommandLine(c, factory) : new CommandLine(root, factory);
        if (root instanceof EnvAware aware) {
            aware.env(env);
        }
        // Settings reach only the subcommands present when they are made: add them first.
        subcommands.forEach(cmd::addSubcommand);
        ConfigOptions.install(cmd);
        cmd.getSubcommands().values().forEach(Cli::helpOption);
        usageWidth(cmd, env);
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setParameterExceptionHandler(Cli::badArguments);
        cmd.setExecutionStrategy(OptionRanges::execute);
        cmd.setExecutionExceptionHandler((e, commandLine, parseResult) -> failed(e, commandLine));
        return cmd;
    }

    /** Creates commands as picocli does and hands each that wants it the environment. */
    private static CommandLine.IFactory envFactory(Map<String, String> env) {
        CommandLine.IFactory defaults = CommandLine.defaultFactory();
        return new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                K instance = defaults.create(cls);
                if (instance instanceof EnvAware aware) {
                    aware.env(env);
                }
                return instance;
            }
        };
    }

    /** A command's failure as one line on stderr (the stack trace too with --verbose); its exit code. */
    private static int failed(Exception e, CommandLine commandLine) {
        String name = commandLine.getCommandSpec().qualifiedName();
        if (e instanceof ConfigException || e instanceof InvalidEntryException) {
            // may quote what another program wrote to Redis (a namespace's meta): escaped like any value from Redis
            commandLine.getErr().println(name + ": " + TerminalText.safe(e.getMessage(), MESSAGE_MAX));
            return USAGE;
        }
        ConfigOptions options = configOptions(commandLine);
        // A runtime failure may quote what Redis holds or replied: escaped like any value from Redis.
        commandLine.getErr().println(name + ": " + TerminalText.safe(describe(e, configOf(options)), MESSAGE_MAX));
        if (options != null && options.verbose) {
            e.printStackTrace(commandLine.getErr());
        }
        return FAILURE;
    }

    /**
     * Gives a subcommand (and its own subcommands) {@code -h}/{@code --help} and a short synopsis
     * ({@code [OPTIONS]}): the version is the root's alone, and a command's help lists its own options.
     */
    private static void helpOption(CommandLine sub) {
        CommandSpec spec = sub.getCommandSpec();
        if (spec.findOption("--help") == null && !spec.unmatchedArgsBindings().isEmpty()) {
            return; // passes its arguments on (tally processor): the receiver prints the help
        }
        if (spec.findOption("--help") == null) {
            spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).order(ORDER_LAST)
                    .description("Show this help and exit.").build());
        }
        spec.usageMessage().abbreviateSynopsis(true).sortOptions(false).optionListHeading("Options:%n")
                .footerHeading("%n").footer(FOOTER);
        sub.getSubcommands().values().forEach(Cli::helpOption);
    }

    /**
     * Help is wrapped to the terminal's width: {@code COLUMNS} when the environment has it, else what
     * picocli finds out from the terminal, else 80 columns.
     */
    private static void usageWidth(CommandLine cmd, Map<String, String> env) {
        String columns = env.get("COLUMNS");
        if (columns != null && columns.matches("\\d{1,4}")) {
            cmd.setUsageHelpAutoWidth(false);
            cmd.setUsageHelpWidth(Math.max(MIN_WIDTH, Integer.parseInt(columns)));
        } else {
            cmd.setUsageHelpAutoWidth(true);
        }
    }

    /**
     * A command line picocli could not parse: its message, what the user may have meant, and where the
     * options are listed, instead of the whole help (long, with every configuration flag); exit 2. A flag
     * of a configuration key the command does not read says so.
     */
    private static int badArguments(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        String name = cmd.getCommandSpec().qualifiedName();
        Optional<String> outOfRange = OptionRanges.conversionFailure(e);
        if (outOfRange.isPresent()) {
            // a number option given text or a value past its type: one line with its range, as for one out of range
            err.println(name + ": " + outOfRange.get());
            return USAGE;
        }
        if (e instanceof CommandLine.UnmatchedArgumentException unmatched) {
            err.println(name + ": " + unmatchedMessage(unmatched.getUnmatched()));
            for (String arg : unmatched.getUnmatched()) {
                String flag = flagOf(arg);
                TallyConfig.keys().stream().filter(k -> k.flag().equals(flag)).findFirst().ifPresent(k ->
                        err.println(name + ": " + flag + " sets " + k.name() + ", which " + name + " does not read"));
            }
            CommandLine.UnmatchedArgumentException.printSuggestions(unmatched, err);
        } else {
            err.println(name + ": " + e.getMessage());
        }
        err.println("Run '" + name + " --help' for its options.");
        return USAGE;
    }

    /**
     * Names the unknown options only, each without a value given with {@code =}, and counts the other
     * arguments: what follows an unknown option may be its value, a token or a password, which must not
     * reach a terminal's scroll-back or a log.
     */
    private static String unmatchedMessage(List<String> unmatched) {
        List<String> flags = unmatched.stream().filter(a -> a.startsWith("-")).map(a -> "'" + flagOf(a) + "'").toList();
        int others = unmatched.size() - flags.size();
        String message = flags.isEmpty() ? "" : (flags.size() == 1 ? "Unknown option: " : "Unknown options: ")
                + String.join(", ", flags);
        if (others > 0) {
            message += (message.isEmpty() ? "" : ", and ") + others + (others == 1 ? " argument" : " arguments")
                    + " it does not take (not shown: " + (others == 1 ? "it" : "one") + " may be a secret)";
        }
        return message;
    }

    private static String flagOf(String arg) {
        return arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
    }

    /** Runs a root command with the process's streams and environment. */
    public static int run(Object root, String... args) {
        PrintWriter out = utf8(System.out);
        PrintWriter err = utf8(System.err);
        return commandLine(root, List.of(), System.getenv(), out, err).execute(args);
    }

    /**
     * A UTF-8 writer on a standard stream: Java 17 would otherwise encode in the locale's charset, which
     * under {@code LANG=C} turns counter names and the sparkline of {@code tally series} into {@code ?}.
     */
    public static PrintWriter utf8(OutputStream stream) {
        return new PrintWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), true);
    }

    /**
     * One line for a runtime failure: for a write of unknown outcome what may have been written and how to settle
     * it, for another Redis failure its cause and fix ({@link RedisFailures}), else the innermost message.
     *
     * @param config the command's configuration (names the URL and user), or null
     */
    public static String describe(Throwable e, TallyConfig config) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof OutcomeUnknownException) {
                // its cause, a Redis timeout, would read as a failure that wrote nothing
                return t.getMessage();
            }
        }
        return RedisFailures.describe(e, config).orElseGet(() -> describe(e));
    }

    /** The command's connection options, if it has them as a mixin. */
    private static ConfigOptions configOptions(CommandLine commandLine) {
        for (CommandLine.Model.CommandSpec mixin : commandLine.getCommandSpec().mixins().values()) {
            if (mixin.userObject() instanceof ConfigOptions options) {
                return options;
            }
        }
        return null;
    }

    private static TallyConfig configOf(ConfigOptions options) {
        try {
            return options == null ? null : options.config();
        } catch (ConfigException e) {
            return null;
        }
    }

    static String describe(Throwable e) {
        Throwable t = e;
        while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        String msg = t.getMessage();
        return msg == null ? t.getClass().getSimpleName() : msg;
    }
}
