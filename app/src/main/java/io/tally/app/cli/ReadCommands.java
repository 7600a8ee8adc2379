package io.tally.app.cli;

import io.tally.common.internal.wire.WireFormat;
import io.tally.app.cli.EvictionCheck.Access;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.common.trigger.Firing;
import io.tally.producer.read.CounterValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * Commands that read applied state: {@code get} (with the unique estimate when there is one),
 * {@code delete}, {@code firings}; {@code counters} is {@link CountersCommand}.
 */
public final class ReadCommands {
    private static final ObjectMapper JSON = new ObjectMapper();
    private ReadCommands() {
    }

    @Command(name = "get", 
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
            try (Session s = Session.existing(options.config(), Access.READ, spec)) {
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

    @Command(name = "delete", 
            description = "Deletes a counter (its total and unique count). Operations still unapplied in its stream recreate it.")
    public static final class Delete implements Callable<Integer> {
        @Mixin
        ConfigOptions options;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "NAME", description = "Counter name.")
        String name;

        @Override
        public Integer call() {
            try (Session s = Session.existing(options.config(), Access.WRITE, spec)) {
                boolean existed = s.reader().deleteCounter(name);
                String shown = TerminalText.safe(name);
                spec.commandLine().getOut().println(existed ? "deleted " + shown : "counter '" + shown + "' did not exist");
                return existed ? 0 : Get.NOT_FOUND;
            }
        }
    }

    @Command(name = "firings", description = {"Shows the most recent trigger firings, newest first, as a table "
            + "(or JSON lines with --json).", "Columns: FIRED-AT (Redis time), PARTITION, TRIGGER, KIND, CAUSE (the "
            + "entry id, or the due time of a time trigger), PARAMS (the trigger's params), OTHER (missed=N: the "
            + "earlier due times a time firing stands for)."})
    public static final class Firings implements Callable<Integer> {
        /** The most firings one call shows: the reader's arithmetic on the limit stays far from int overflow. */
        static final int MAX_LIMIT = 100_000;
        @Mixin
        ConfigOptions options;
        @Spec
        CommandSpec spec;
        @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "How many, 1 to "
                + MAX_LIMIT + " (default ${DEFAULT-VALUE}).")
        @OptionRange(min = 1, max = MAX_LIMIT)
        int limit;
        @Option(names = "--json", description = "One JSON object per firing and line, as GET /v1/firings gives them: "
                + "partition, id, fields (keys sorted).")
        boolean json;
        @Mixin
        OutputOptions output;

        @Override
        public Integer call() {
            try (Session s = Session.existing(options.config(), Access.READ, spec)) {
                print(s.reader().recentFirings(limit), spec.commandLine().getOut());
                return 0;
            }
        }

        private void print(List<Firing> firings, PrintWriter out) {
            if (json) {
                firings.forEach(f -> out.println(output.json(json(f))));
                out.flush();
                return;
            }
            if (firings.isEmpty()) {
                out.println("no firings");
                return;
            }
            Table table = new Table("FIRED-AT", "PARTITION", "TRIGGER", "KIND", "CAUSE", "PARAMS", "OTHER");
            for (Firing f : firings) {
                table.row(Instant.ofEpochMilli(f.firedAt()).toString(), Integer.toString(f.partition()),
                        output.safe(f.triggerId()), f.kind().wire(), output.safe(f.cause()), params(f.params()),
                        f.missed() == -1 ? "-" : Firing.MISSED + "=" + f.missed());
            }
            table.print(out);
        }

        /** The params as {@code name=value}, sorted by name. */
        private String params(Map<String, String> params) {
            StringBuilder sb = new StringBuilder();
            new TreeMap<>(params).forEach((k, v) ->
                    sb.append(sb.length() > 0 ? " " : "").append(output.safe(k)).append('=').append(output.safe(v)));
            return sb.length() == 0 ? "-" : sb.toString();
        }

        private static String json(Firing f) {
            ObjectNode n = JSON.createObjectNode();
            n.put("partition", f.partition());
            n.put("id", f.entryId());
            ObjectNode fields = n.putObject("fields");
            new TreeMap<>(f.toFields()).forEach(fields::put);
            return n.toString();
        }
    }
}
