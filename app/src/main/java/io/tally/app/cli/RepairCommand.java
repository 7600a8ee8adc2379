package io.tally.app.cli;

import io.tally.app.cli.EvictionCheck.Access;
import io.tally.common.config.ConfigException;
import io.tally.common.internal.status.StreamIdHorizon;
import io.tally.producer.read.Topic;
import io.tally.producer.internal.admin.StreamIdRepair;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code tally repair stream-ids}: repairs what a writer can break in Redis and Tally cannot undo alone. */
@Command(name = "repair", description = "Repairs a partition's streams.",
        subcommands = RepairCommand.StreamIds.class)
public final class RepairCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Cli.USAGE;
    }

    /**
     * Resets a partition's input streams whose ids lie beyond {@link StreamIdHorizon}; without
     * {@code --yes} it only shows what it would do. See {@link StreamIdRepair} and docs/runbook.md.
     */
    @Command(name = "stream-ids", 
            description = "Moves applied entries whose ids lie more than a day ahead of Redis time to the dead "
                    + "letters (reason future_id) and resets the stream's last id, checkpoint and consumer group, "
                    + "so that sends work again. Shows the plan unless --yes is given.")
    public static final class StreamIds implements Callable<Integer> {
        @Mixin
        ConfigOptions options;
        @Mixin
        OutputOptions output;
        @Spec
        CommandSpec spec;
        @Option(names = "--partition", paramLabel = "P", required = true, description = "The partition to repair.")
        @OptionRange(min = 0, max = OptionRange.MAX_PARTITION)
        int partition;
        @Option(names = "--stream", paramLabel = "STREAM", description = "ops or events (default: both).")
        String stream;
        @Option(names = "--yes", description = "Repair; without it only the plan is shown.")
        boolean yes;
        @Option(names = "--wait", paramLabel = "S", defaultValue = "30",
                description = "Seconds to wait for the processors to apply the future entries, 0 to " + OptionRange.DAY_S
                        + " (default ${DEFAULT-VALUE}).")
        @OptionRange(min = 0, max = OptionRange.DAY_S)
        int waitSeconds;

        @Override
        public Integer call() {
            List<Topic> topics = topics();
            try (Session s = Session.existing(options.config(), Access.WRITE, spec)) {
                if (partition < 0 || partition >= s.partitions) {
                    throw new ConfigException("Invalid value " + partition + " for --partition: namespace '"
                            + s.keys.namespace() + "' has partitions 0.." + (s.partitions - 1));
                }
                StreamIdRepair repair = new StreamIdRepair(s.redis, s.keys);
                PrintWriter out = spec.commandLine().getOut();
                for (Topic topic : topics) {
                    if (yes) {
                        report(out, topic, repair.repair(partition, topic, Duration.ofSeconds(waitSeconds)));
                    } else {
                        plan(out, topic, repair.check(partition, topic));
                    }
                }
                if (!yes) {
                    out.println("nothing written; run again with --yes to repair");
                }
                out.flush();
                return 0;
            }
        }

        private List<Topic> topics() {
            if (stream == null) {
                return List.of(Topic.OPS, Topic.EVENTS);
            }
            Topic topic = Topic.fromWire(stream);
            if (topic == null) {
                throw new ConfigException("Invalid value '" + stream + "' for --stream: must be ops or events");
            }
            return List.of(topic);
        }

        private void plan(PrintWriter out, Topic topic, StreamIdRepair.Check c) {
            String where = "partition " + partition + " " + topic.wireName();
            if (!c.needed()) {
                out.printf("%s: ids within a day of Redis time (last id %s); nothing to repair%n", where,
                        c.exists() ? output.safe(c.lastId()) : "-");
                return;
            }
            out.printf("%s: last id %s is %d days ahead of Redis time; checkpoint %s, group at %s%n", where,
                    output.safe(c.lastId()), StreamIdHorizon.daysAhead(c.lastId(), c.redisTimeMs()),
                    c.checkpoint().isEmpty() ? "-" : output.safe(c.checkpoint()), output.safe(c.delivered()));
            if (c.futureEntries() > 0) {
                out.printf("  would move %s%d entries from %s on to the dead letters (reason future_id, once applied)%n",
                        c.futureEntries() >= StreamIdRepair.PER_CALL ? "at least " : "", c.futureEntries(), output.safe(c.firstFuture()));
            }
            out.println("  would reset the last id, a future checkpoint and the group to the newest remaining id "
                    + "or Redis time");
        }

        private void report(PrintWriter out, Topic topic, StreamIdRepair.Result r) {
            String where = "partition " + partition + " " + topic.wireName();
            if (!r.changed()) {
                out.printf("%s: nothing to repair (last id %s)%n", where, r.lastId().isEmpty() ? "-" : output.safe(r.lastId()));
                return;
            }
            out.printf("%s: moved %d entries with future ids to the dead letters (reason future_id); last id %s -> %s, "
                    + "checkpoint %s -> %s, %d consumer group(s) reset%n", where, r.moved(), output.safe(r.lastId()),
                    output.safe(r.resetTo()), r.checkpoint().isEmpty() ? "-" : output.safe(r.checkpoint()),
                    r.newCheckpoint().isEmpty() ? "-" : output.safe(r.newCheckpoint()), r.groupsReset());
        }
    }
}
