package io.tally.app.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.app.cli.EvictionCheck.Access;
import io.tally.common.config.ConfigException;
import io.tally.producer.dlq.DeadLetter;
import io.tally.producer.dlq.DeadLetterFilter;
import io.tally.producer.internal.admin.DeadLetterRefusedException;
import io.tally.producer.internal.admin.RedisDeadLetters;
import io.tally.producer.read.Topic;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code tally dlq list|replay|purge}: inspects and handles dead letters. */
@Command(name = "dlq", description = "Lists, replays or purges dead letters.",
        subcommands = {DlqCommand.ListLetters.class, DlqCommand.Replay.class, DlqCommand.Purge.class})
public final class DlqCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Cli.USAGE;
    }

    /** Filters shared by the three subcommands; a value no dead letter can have is refused (exit 2). */
    public static final class Filters {
        @Option(names = "--reason", paramLabel = "CODE", description = "Only this reason: missing_field, bad_number, "
                + "unknown_op, bad_windows, script_error, future_id, ... (docs/wire-format.md lists them all).")
        String reason;
        @Option(names = "--partition", paramLabel = "P", description = "Only this partition.")
        @OptionRange(min = 0, max = OptionRange.MAX_PARTITION)
        Integer partition;
        @Option(names = "--source", paramLabel = "STREAM", description = "Only dead letters from ops or events.")
        String source;
        @Option(names = "--limit", paramLabel = "N", defaultValue = "1000",
                description = "At most N dead letters, at least 1 (default ${DEFAULT-VALUE}).")
        @OptionRange(min = 1, max = Integer.MAX_VALUE)
        int limit;

        DeadLetterFilter filter() {
            Topic topic = null;
            if (source != null) {
                topic = Topic.fromWire(source);
                if (topic == null) {
                    throw new ConfigException("Invalid value '" + TerminalText.safe(source)
                            + "' for --source: must be ops or events");
                }
            }
            return new DeadLetterFilter(DeadLetterReasons.check(reason), partition, topic);
        }
    }

    abstract static class Base implements Callable<Integer> {
        @Mixin
        ConfigOptions options;
        @Mixin
        Filters filters;
        @Mixin
        OutputOptions output;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            DeadLetterFilter filter = filters.filter();
            try (Session s = Session.existing(options.config(), access(), spec)) {
                if (filter.partition() != null && (filter.partition() < 0 || filter.partition() >= s.partitions)) {
                    throw new ConfigException("Invalid value " + filter.partition() + " for --partition: namespace '"
                            + s.keys.namespace() + "' has partitions 0.." + (s.partitions - 1));
                }
                return run(s.deadLetters(), filter, spec.commandLine().getOut());
            }
        }

        Access access() {
            return Access.WRITE;
        }

        abstract int run(RedisDeadLetters dlq, DeadLetterFilter filter, PrintWriter out);
    }

    @Command(name = "list", description = {"Lists dead letters, oldest first, as a table (or JSON lines with --json).",
            "Columns: PARTITION, ID (the dead letter's entry id), REASON, SOURCE (ops or events), SOURCE-ID "
                    + "(the entry's id there), ORIGINAL (its fields), ERROR."})
    public static final class ListLetters extends Base {
        @Option(names = "--json", description = "One JSON object per dead letter and line, fields in a fixed order: "
                + "partition, id, reason, source, sourceId, original (keys sorted), error.")
        boolean json;

        @Override
        Access access() {
            return Access.READ;
        }

        @Override
        int run(RedisDeadLetters dlq, DeadLetterFilter filter, PrintWriter out) {
            List<DeadLetter> letters = dlq.list(filter, filters.limit);
            if (json) {
                letters.forEach(d -> out.println(output.json(json(d))));
                out.flush();
                return 0;
            }
            if (letters.isEmpty()) {
                out.println(filter.isAll() ? "no dead letters" : "no dead letters match the filters");
                return 0;
            }
            Table table = new Table("PARTITION", "ID", "REASON", "SOURCE", "SOURCE-ID", "ORIGINAL", "ERROR");
            for (DeadLetter d : letters) {
                table.row(Integer.toString(d.partition()), output.safe(d.id()), output.safe(d.reason()),
                        output.safe(d.source()), output.safe(d.sourceId()), original(d), output.safe(d.error()));
            }
            table.print(out);
            out.printf("%d dead letter(s)%n", letters.size());
            return 0;
        }

        /** The original entry's fields, sorted, each key and value escaped and cut on its own. */
        private String original(DeadLetter d) {
            StringBuilder sb = new StringBuilder("{");
            new TreeMap<>(d.original()).forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "")
                    .append(output.safe(k)).append('=').append(output.safe(v)));
            return sb.append('}').toString();
        }

        private static String json(DeadLetter d) {
            ObjectNode n = JSON.createObjectNode();
            n.put("partition", d.partition());
            n.put("id", d.id());
            n.put("reason", d.reason());
            n.put("source", d.source());
            n.put("sourceId", d.sourceId());
            ObjectNode original = n.putObject("original");
            new TreeMap<>(d.original()).forEach(original::put);
            n.put("error", d.error());
            return n.toString();
        }
    }

    @Command(name = "replay",
            description = {"Re-appends dead letters to their source stream and removes them from the dead-letter stream.",
                    "A letter that cannot be replayed is named on stderr and kept, the others are replayed; then exit 1."})
    public static final class Replay extends Base {
        @Override
        int run(RedisDeadLetters dlq, DeadLetterFilter filter, PrintWriter out) {
            PrintWriter err = spec.commandLine().getErr();
            String name = spec.qualifiedName();
            int replayed = 0;
            int refused = 0;
            try {
                for (DeadLetter letter : dlq.list(filter, filters.limit)) {
                    try {
                        Optional<String> newId = dlq.replayOne(letter);
                        if (newId.isPresent()) {
                            // one line per letter at once: a run cut short (Ctrl-C, Redis lost) has said what it did
                            out.printf("p%d %s -> %s %s%n", letter.partition(), output.safe(letter.id()),
                                    output.safe(letter.source()), output.safe(newId.get()));
                            out.flush();
                            replayed++;
                        }
                    } catch (DeadLetterRefusedException e) {
                        err.println(name + ": " + TerminalText.safe(e.getMessage(), 1000));
                        err.flush();
                        refused++;
                    }
                }
            } catch (RuntimeException e) {
                out.printf("replayed %d dead letter(s) before the failure%n", replayed);
                out.flush();
                throw e;
            }
            out.printf("replayed %d dead letter(s)%n", replayed);
            out.flush();
            if (refused > 0) {
                err.printf("%s: %d dead letter(s) refused and kept%n", name, refused);
                return Cli.FAILURE;
            }
            return 0;
        }
    }

    @Command(name = "purge", description = "Deletes dead letters. Needs a filter, or --all.")
    public static final class Purge extends Base {
        @Option(names = "--all", description = "Purge every dead letter (up to --limit) when no filter is given.")
        boolean all;

        @Override
        int run(RedisDeadLetters dlq, DeadLetterFilter filter, PrintWriter out) {
            if (filter.isAll() && !all) {
                throw new ConfigException("refusing to purge every dead letter: give --reason, --partition or "
                        + "--source, or --all");
            }
            out.printf("purged %d dead letter(s)%n", dlq.purge(filter, filters.limit));
            return 0;
        }
    }
}
