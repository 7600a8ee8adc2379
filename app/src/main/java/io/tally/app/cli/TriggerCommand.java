package io.tally.app.cli;

import io.tally.common.trigger.InvalidTriggerException;
import io.tally.common.trigger.ThresholdOp;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.internal.trigger.TriggerJson;
import io.tally.common.trigger.TriggerKind;
import io.tally.common.trigger.TriggerMode;
import io.tally.common.trigger.TriggerStatus;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.producer.triggers.TriggerClient;
import io.tally.producer.triggers.TriggerLimitException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.InstantSource;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code tally trigger add|get|list|cancel}. Triggers print as their JSON (one per line for
 * {@code list}). Exit codes: 2 for an invalid definition or id (the message names the field), 3 for a
 * trigger that does not exist, as {@code tally get} does for counters.
 */
@Command(name = "trigger", mixinStandardHelpOptions = true, description = "Adds, shows, lists or cancels triggers.",
        subcommands = {TriggerCommand.Add.class, TriggerCommand.Get.class, TriggerCommand.ListTriggers.class,
                TriggerCommand.Cancel.class})
public final class TriggerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Cli.USAGE;
    }

    /** Runs {@code body} with a trigger client, turning an invalid definition or id into exit code 2. */
    abstract static class Base implements Callable<Integer> {
        @Mixin
        ConfigOptions options;
        @Mixin
        OutputOptions output;
        @Spec
        CommandSpec spec;

        @Override
        public final Integer call() {
            try (Session s = Session.awaiting(options.config());
                 TriggerClient client = RedisTriggerClient.create(s.redis, s.config, InstantSource.system())) {
                return run(client, spec.commandLine().getOut());
            } catch (InvalidTriggerException | TriggerLimitException e) {
                spec.commandLine().getErr().println(spec.qualifiedName() + ": " + TerminalText.safe(e.getMessage(), 0));
                return Cli.USAGE;
            }
        }

        abstract int run(TriggerClient client, PrintWriter out);

        int print(Optional<Trigger> trigger, String id, PrintWriter out) {
            if (trigger.isEmpty()) {
                spec.commandLine().getErr().println("trigger '" + TerminalText.safe(id) + "' does not exist");
                return ReadCommands.Get.NOT_FOUND;
            }
            out.println(output.json(trigger.get().toJson()));
            return 0;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = {"Creates a trigger and prints it with its id.",
            "Examples:",
            "  tally trigger add --kind event --event-type click --match button=buy --param campaign=spring",
            "  tally trigger add --kind threshold --counter clicks --op '>=' --value 1000 --mode every",
            "  tally trigger add --kind time --at 2030-01-01T00:00:00Z --every 60000",
            "  tally trigger add --json '{\"kind\":\"event\",\"eventType\":\"click\"}'"})
    public static final class Add extends Base {
        @Option(names = "--json", paramLabel = "JSON", description = "The whole definition as JSON (no other definition options).")
        String json;
        @Option(names = "--kind", paramLabel = "KIND", description = "event, threshold or time.")
        String kind;
        @Option(names = "--mode", paramLabel = "MODE", description = "once (default) or every.")
        String mode;
        @Option(names = "--event-type", paramLabel = "TYPE", description = "Event type (event triggers).")
        String eventType;
        @Option(names = "--match", paramLabel = "k=v", description = "Event parameter the event must carry (repeatable).")
        List<String> match = List.of();
        @Option(names = "--counter", paramLabel = "NAME", description = "Counter (threshold triggers).")
        String counter;
        @Option(names = "--op", paramLabel = "OP", description = ">= or <= (threshold triggers).")
        String op;
        @Option(names = "--value", paramLabel = "N", description = "Threshold, within ±2^53.")
        Long value;
        @Option(names = "--at", paramLabel = "TIME", description = "Epoch ms or an ISO-8601 instant (time triggers).")
        String at;
        @Option(names = "--every", paramLabel = "MS", description = "Repeat period in ms, at least 100 (time triggers).")
        Long every;
        @Option(names = "--param", paramLabel = "k=v", description = "Copied into each firing as p.<k> (repeatable).")
        List<String> params = List.of();

        @Override
        int run(TriggerClient client, PrintWriter out) {
            out.println(output.json(client.create(definition()).toJson()));
            return 0;
        }

        TriggerDefinition definition() {
            if (json != null) {
                if (kind != null || mode != null || eventType != null || !match.isEmpty() || counter != null || op != null
                        || value != null || at != null || every != null || !params.isEmpty()) {
                    throw new InvalidTriggerException("--json", "give either --json or the definition options, not both");
                }
                return TriggerJson.parseDefinition(json);
            }
            TriggerDefinition.Builder b = TriggerDefinition.builder()
                    .kind(kind == null ? null : TriggerKind.parse(kind))
                    .eventType(eventType).counter(counter).op(op == null ? null : ThresholdOp.parse(op))
                    .value(value).at(at == null ? null : time(at)).every(every)
                    .params(pairs("params", params));
            if (mode != null) {
                b.mode(TriggerMode.parse(mode));
            }
            if (!match.isEmpty()) {
                b.match(pairs("match", match));
            }
            return b.build();
        }

        private static long time(String at) {
            if (at.matches("-?\\d+")) {
                return Long.parseLong(at);
            }
            try {
                return Instant.parse(at).toEpochMilli();
            } catch (DateTimeParseException e) {
                throw new InvalidTriggerException("at", "'" + at + "' is neither epoch ms nor an ISO-8601 instant "
                        + "such as 2030-01-01T00:00:00Z");
            }
        }

        private static Map<String, String> pairs(String field, List<String> pairs) {
            Map<String, String> out = new LinkedHashMap<>();
            for (String p : pairs) {
                int eq = p.indexOf('=');
                if (eq <= 0) {
                    throw new InvalidTriggerException(field, "'" + p + "' is not of the form name=value");
                }
                out.put(p.substring(0, eq), p.substring(eq + 1));
            }
            return out;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true,
            description = "Prints a trigger with its state as JSON (exit code 3 when it does not exist).")
    public static final class Get extends Base {
        @Parameters(paramLabel = "ID", description = "Trigger id (t<partition>-<ULID>).")
        String id;

        @Override
        int run(TriggerClient client, PrintWriter out) {
            return print(client.get(id), id, out);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Prints the triggers as JSON, one per line.")
    public static final class ListTriggers extends Base {
        @Option(names = "--status", paramLabel = "STATUS", description = "Only active, fired or canceled.")
        String status;
        @Option(names = "--kind", paramLabel = "KIND", description = "Only event, threshold or time.")
        String kind;

        @Override
        int run(TriggerClient client, PrintWriter out) {
            List<Trigger> found = client.list(status == null ? null : TriggerStatus.parse(status),
                    kind == null ? null : TriggerKind.parse(kind));
            found.forEach(t -> out.println(output.json(t.toJson())));
            spec.commandLine().getErr().println(found.size() + " trigger(s)");
            return 0;
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true,
            description = "Cancels a trigger and prints it (a trigger no longer active is printed unchanged; exit 3 when absent).")
    public static final class Cancel extends Base {
        @Parameters(paramLabel = "ID", description = "Trigger id.")
        String id;

        @Override
        int run(TriggerClient client, PrintWriter out) {
            return print(client.cancel(id), id, out);
        }
    }
}
