package io.tally.app.cli;

import io.tally.common.TallyVersion;
import io.tally.app.runtime.ProcessorMain;
import io.tally.app.cli.Cli;
import io.tally.app.cli.ProducerCommands;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * The {@code tally} command line, main class of the distribution jar {@code app/target/tally.jar}. Without a subcommand it
 * prints usage and exits 2: a processor starts only when asked ({@code tally processor}), never against
 * a default Redis by accident. Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error
 * ({@code get}: 3 for a counter that does not exist).
 */
@Command(name = "tally", mixinStandardHelpOptions = true, versionProvider = TallyMain.Version.class,
        description = "Exactly-once counters and triggers over partitioned Redis Streams.",
        footer = {"", "tally COMMAND --help lists a command's options: its own, then the configuration keys it reads "
                + "(--redis-url, --namespace, ...; each also a TALLY_* variable, which a flag overrides).",
                "The Redis password comes only from TALLY_REDIS_PASSWORD or --redis-password-file."})
public final class TallyMain implements Callable<Integer> {
    private static final Set<String> TOP_LEVEL_FLAGS = Set.of("-h", "--help", "-V", "--version");

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        // This process is the command: it started when the user typed it (CommandClock).
        CommandClock.startedAt(CommandClock.processStartMs(System.currentTimeMillis()));
        System.exit(run(args, System.getenv(), Cli.utf8(System.out), Cli.utf8(System.err)));
    }

    /** Runs one command line with the given environment and output; returns the exit code. */
    public static int run(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
        CommandLine cmd = commandLine(env, out, err);
        if (args.length > 0 && args[0].startsWith("-") && !TOP_LEVEL_FLAGS.contains(args[0])) {
            // Options before any subcommand: most likely a processor's flags from before subcommands existed.
            err.println("tally: no subcommand given before " + args[0] + "; to run a processor: tally processor "
                    + String.join(" ", SecretMask.args(args)));
            cmd.usage(err);
            return Cli.USAGE;
        }
        return cmd.execute(args);
    }

    /** The full command tree: the producer module's commands plus processor and demo. */
    public static CommandLine commandLine(Map<String, String> env, PrintWriter out, PrintWriter err) {
        List<Class<?>> subcommands = new ArrayList<>(ProducerCommands.all());
        subcommands.add(ProcessorCommand.class);
        subcommands.add(DemoCommand.class);
        return Cli.commandLine(TallyMain.class, subcommands, env, out, err);
    }

    /** {@code tally --version}: the version of the build, not a number written into the code. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"tally " + TallyVersion.current()};
        }
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Cli.USAGE;
    }
}
