package io.tally.app.cli;

import io.tally.app.cli.EvictionCheck.Access;
import io.tally.common.config.TallyConfig;
import io.tally.common.trigger.InvalidTriggerException;
import io.tally.common.trigger.ThresholdOp;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.internal.trigger.TriggerJson;
import io.tally.common.trigger.TriggerKind;
import io.tally.common.trigger.TriggerMode;
import io.tally.common.trigger.TriggerStatus;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.producer.internal.read.SeriesRange;
import io.tally.producer.triggers.TriggerClient;
import io.tally.producer.triggers.TriggerLimitException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code tally trigger add|get|list|cancel}. Triggers print as their JSON (one per line for
 * {@code list}). Exit codes: 2 for an invalid definition or id (the message names the field), 3 for a
 * trigger that does not exist, as {@code tally get} does for counters.
 */
@Command(name = "trigger", description = "Adds, shows, lists or cancels triggers.",
        subcommands = {TriggerCommand.Add.class, TriggerCommand.Get.class, TriggerCommand.ListTriggers.class,
                TriggerCommand.Cancel.class})
public final class TriggerCommand implements Callable<Integer> {
    /** A duration: digits, optionally followed by a unit (ms, s, m, h, d). */
    private static final Pattern DURATION = Pattern.compile("([0-9]{1,12})(ms|s|m|h|d)?");
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Cli.USAGE;
    }

    /** Runs {@code body} with a trigger client, turning an invalid definition or id into exit code 2. */
    @ReadsConfig(ConfigScope.NAMESPACE_WAIT)
    abstract static class Base implements Callable<Integer> {
        @Mixin
        ConfigOptions options;
        @Mixin
        OutputOptions output;
        @Spec
        CommandSpec spec;

        @Override
        public final Integer call() {
            try {
                check();
                try (Session s = Session.awaiting(options.config(), access(), spec)) {
                    InstantSource clock = clock(s);
                    try (TriggerClient client = RedisTriggerClient.create(s.redis, s.config, clock)) {
                        return run(client, clock, spec.commandLine().getOut());
                    }
                }
            } catch (InvalidTriggerException | TriggerLimitException e) {
                spec.commandLine().getErr().println(spec.qualifiedName() + ": " + TerminalText.safe(e.getMessage(), 0));
                return Cli.USAGE;
            }
        }

        /** Checks the options before connecting. */
        void check() {
        }

        Access access() {
            return Access.READ;
        }

        /** The clock that judges "in the past"; the local one where nothing is created. */
        InstantSource clock(Session s) {
            return InstantSource.system();
        }

        /** @param clock the clock the client judges "in the past" by */
        abstract int run(TriggerClient client, InstantSource clock, PrintWriter out);

        int print(Optional<Trigger> trigger, String id, PrintWriter out) {
            if (trigger.isEmpty()) {
                spec.commandLine().getErr().println("trigger '" + TerminalText.safe(id) + "' does not exist");
                return ReadCommands.Get.NOT_FOUND;
            }
            out.println(output.json(trigger.get().toJson()));
            return 0;
        }
    }

    @Command(name = "add", description = {"Creates a trigger and prints it with its id.",
            "The kind may be left out when the options say it: --event-type (event), --counter (threshold), "
                    + "--at or --in (time).",
            "Examples:",
            "  tally trigger add --event-type click --match button=buy --param campaign=spring",
            "  tally trigger add --counter clicks --op '>=' --value 1000 --mode every",
            "  tally trigger add --in 10s",
            "  tally trigger add --at 2030-01-01T00:00:00Z --every 1m",
            "  tally trigger add --json '{\"kind\":\"event\",\"eventType\":\"click\"}'"})
    @ReadsConfig(ConfigScope.TRIGGER_CAPS)
    public static final class Add extends Base {
        @Option(names = "--json", paramLabel = "JSON", description = "The whole definition as JSON, as POST /v1/triggers "
                + "takes it (no other definition options).")
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
        @Option(names = "--at", paramLabel = "TIME", description = "When a time trigger is due: epoch ms or ISO-8601 "
                + "(2030-01-01T00:00:00Z, an offset, or a date). A once trigger must be due after the command started "
                + "(judged on Redis's clock).")
        String at;
        @Option(names = "--in", paramLabel = "DURATION", description = "Due this long after the command started, "
                + "on Redis's clock: 500ms, 10s, 5m, 2h, 1d (time triggers; instead of --at).")
        String in;
        @Option(names = "--every", paramLabel = "PERIOD", description = "Repeat period of a time trigger: ms, or a "
                + "duration such as 30s or 1h; at least 100 ms.")
        String every;
        @Option(names = "--param", paramLabel = "k=v", description = "Copied into each firing as p.<k> (repeatable).")
        List<String> params = List.of();

        @Override
        void check() {
            if (at != null && in != null) {
                throw new InvalidTriggerException("at", "give either --at or --in, not both");
            }
            if (in != null) {
                duration("in", in);
            }
            if (every != null) {
                duration("every", every);
            }
        }

        @Override
        Access access() {
            return Access.WRITE;
        }

        /** The command's start on Redis's clock: it judges {@code --at} and is what {@code --in} counts from. */
        @Override
        InstantSource clock(Session s) {
            return CommandClock.startedOnRedisTime(s.redis, s.config.get(TallyConfig.REDIS_MODE));
        }

        @Override
        int run(TriggerClient client, InstantSource clock, PrintWriter out) {
            out.println(output.json(client.create(definition(clock)).toJson()));
            return 0;
        }

        TriggerDefinition definition(InstantSource clock) {
            if (json != null) {
                if (kind != null || mode != null || eventType != null || !match.isEmpty() || counter != null || op != null
                        || value != null || at != null || in != null || every != null || !params.isEmpty()) {
                    throw new InvalidTriggerException("--json", "give either --json or the definition options, not both");
                }
                return TriggerJson.parseDefinition(json);
            }
            Long atMs = null;
            if (at != null) {
                atMs = time(at);
            } else if (in != null) {
                atMs = clock.millis() + duration("in", in);
            }
            TriggerDefinition.Builder b = TriggerDefinition.builder()
                    .kind(kind())
                    .eventType(eventType).counter(counter).op(op == null ? null : ThresholdOp.parse(op))
                    .value(value).at(atMs).every(every == null ? null : duration("every", every))
                    .params(pairs("params", params));
            if (mode != null) {
                b.mode(TriggerMode.parse(mode));
            }
            if (!match.isEmpty()) {
                b.match(pairs("match", match));
            }
            return b.build();
        }

        /** {@code --kind}, or the one kind whose options were given; null (refused, naming kind) otherwise. */
        private TriggerKind kind() {
            if (kind != null) {
                return TriggerKind.parse(kind);
            }
            List<TriggerKind> implied = new ArrayList<>();
            if (eventType != null || !match.isEmpty()) {
                implied.add(TriggerKind.EVENT);
            }
            if (counter != null || op != null || value != null) {
                implied.add(TriggerKind.THRESHOLD);
            }
            if (at != null || in != null || every != null) {
                implied.add(TriggerKind.TIME);
            }
            return implied.size() == 1 ? implied.get(0) : null;
        }

        private static long time(String at) {
            try {
                return SeriesRange.parseTime("at", at);
            } catch (SeriesRange.InvalidRangeException e) {
                throw new InvalidTriggerException("at", e.getMessage());
            }
        }

        /** Milliseconds: digits alone, or digits with ms, s, m, h or d. */
        static long duration(String field, String raw) {
            Matcher m = DURATION.matcher(raw);
            if (!m.matches()) {
                throw new InvalidTriggerException(field, "'" + TerminalText.safe(raw) + "' is not a duration such as "
                        + "500ms, 10s, 5m, 2h or 1d (or ms as digits)");
            }
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "ms" : m.group(2);
            return n * switch (unit) {
                case "ms" -> 1L;
                case "s" -> 1_000L;
                case "m" -> 60_000L;
                case "h" -> 3_600_000L;
                default -> 86_400_000L;
            };
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

    @Command(name = "get", 
            description = "Prints a trigger with its state as JSON (exit code 3 when it does not exist).")
    public static final class Get extends Base {
        @Parameters(paramLabel = "ID", description = "Trigger id (t<partition>-<ULID>).")
        String id;

        @Override
        int run(TriggerClient client, InstantSource clock, PrintWriter out) {
            return print(client.get(id), id, out);
        }
    }

    @Command(name = "list", description = "Prints the triggers as JSON, one per line.")
    public static final class ListTriggers extends Base {
        @Option(names = "--status", paramLabel = "STATUS", description = "Only active, fired or canceled.")
        String status;
        @Option(names = "--kind", paramLabel = "KIND", description = "Only event, threshold or time.")
        String kind;

        @Override
        int run(TriggerClient client, InstantSource clock, PrintWriter out) {
            List<Trigger> found = client.list(status == null ? null : TriggerStatus.parse(status),
                    kind == null ? null : TriggerKind.parse(kind));
            found.forEach(t -> out.println(output.json(t.toJson())));
            spec.commandLine().getErr().println(found.isEmpty() ? "no triggers" : found.size() + " trigger(s)");
            return 0;
        }
    }

    @Command(name = "cancel", 
            description = "Cancels a trigger and prints it (a trigger no longer active is printed unchanged; exit 3 when absent).")
    public static final class Cancel extends Base {
        @Parameters(paramLabel = "ID", description = "Trigger id.")
        String id;

        @Override
        Access access() {
            return Access.WRITE;
        }

        @Override
        int run(TriggerClient client, InstantSource clock, PrintWriter out) {
            return print(client.cancel(id), id, out);
        }
    }
}
