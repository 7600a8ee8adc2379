package io.tally.app.cli;

import io.tally.common.internal.wire.WireFormat;
import io.tally.producer.read.CounterValue;
import io.tally.producer.read.Firing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;

/**
 * Commands that read applied state: {@code get} (with the unique estimate when there is one),
 * {@code counters}, {@code delete}, {@code firings}.
 */
public final class ReadCommands {
    private ReadCommands() {
    }

    @Command(name = "get", mixinStandardHelpOptions = true,
            description = {"Prints a counter's applied value (0 when it does not exist; exit code 3 then).",
                    "When the counter has unique entries, a second line: unique <estimate>."})
    public static final class Get implements Callable<Integer> {
        /** Exit code of {@code get} for a counter that does not exist. */
        public static final int NOT_FOUND = 3;

        @Mixin
        ConfigOptions options;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "NAME", description = "Counter name.")
        String name;

        @Override
        public Integer call() {
            WireFormat.checkName("counter", name);
            try (Session s = Session.existing(options.config())) {
                CounterValue v = s.reader().counter(name);
                OptionalLong unique = s.series().uniqueIfPresent(name);
                spec.commandLine().getOut().println(v.value());
                unique.ifPresent(u -> spec.commandLine().getOut().println("unique " + u));
                if (!v.exists() && unique.isEmpty()) {
                    spec.commandLine().getErr().println("counter '" + name + "' does not exist (never written, "
                            + "not applied yet, or deleted)");
                    return NOT_FOUND;
                }
                return 0;
            }
        }
    }

    @Command(name = "counters", mixinStandardHelpOptions = true, description = "Lists counters and their values.")
    public static final class Counters implements Callable<Integer> {
        @Mixin
        ConfigOptions options;
        @Spec
        CommandSpec spec;
        @Mixin
        OutputOptions output;
        @Option(names = "--prefix", paramLabel = "TEXT", description = "Only counters whose name starts with TEXT.")
        String prefix;
        @Option(names = "--limit", defaultValue = "1000", description = "At most this many (default ${DEFAULT-VALUE}).")
        int limit;

        @Override
        public Integer call() {
            try (Session s = Session.existing(options.config())) {
                List<CounterValue> counters = s.reader().counters(prefix, limit);
                PrintWriter out = spec.commandLine().getOut();
                List<String> names = counters.stream().map(c -> output.safe(c.name())).toList();
                int width = names.stream().mapToInt(String::length).max().orElse(4);
                for (int i = 0; i < counters.size(); i++) {
                    out.printf("%-" + width + "s  %d%n", names.get(i), counters.get(i).value());
                }
                return 0;
            }
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Deletes a counter. Operations still unapplied in its stream recreate it.")
    public static final class Delete implements Callable<Integer> {
        @Mixin
        ConfigOptions options;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "NAME", description = "Counter name.")
        String name;

        @Override
        public Integer call() {
            try (Session s = Session.existing(options.config())) {
                boolean existed = s.reader().deleteCounter(name);
                String shown = TerminalText.safe(name);
                spec.commandLine().getOut().println(existed ? "deleted " + shown : "counter '" + shown + "' did not exist");
                return existed ? 0 : Get.NOT_FOUND;
            }
        }
    }

    @Command(name = "firings", mixinStandardHelpOptions = true, description = "Shows the most recent trigger firings.")
    public static final class Firings implements Callable<Integer> {
        @Mixin
        ConfigOptions options;
        @Spec
        CommandSpec spec;
        @Option(names = "--limit", defaultValue = "20", description = "How many (default ${DEFAULT-VALUE}).")
        int limit;
        @Mixin
        OutputOptions output;

        @Override
        public Integer call() {
            try (Session s = Session.existing(options.config())) {
                PrintWriter out = spec.commandLine().getOut();
                for (Firing f : s.reader().recentFirings(limit)) {
                    out.printf("%s  p%d  %s%n", output.safe(f.id()), f.partition(), fields(f));
                }
                return 0;
            }
        }

        /** The firing's fields, each key and value escaped and cut on its own. */
        private String fields(Firing f) {
            StringBuilder sb = new StringBuilder("{");
            f.fields().forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(output.safe(k)).append('=')
                    .append(output.safe(v)));
            return sb.append('}').toString();
        }
    }
}
