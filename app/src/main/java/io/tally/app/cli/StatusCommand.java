package io.tally.app.cli;

import io.tally.app.cli.EvictionCheck.Access;
import io.tally.common.internal.keys.DedupeLayout;
import io.tally.producer.status.MemberStatus;
import io.tally.producer.status.NamespaceStatus;
import io.tally.producer.status.PartitionStatus;
import io.tally.producer.status.TopicStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;

/**
 * {@code tally status}: one row per partition and stream (owner, length, last applied id, lag,
 * pending, oldest pending age, dead letters), the halted partitions and the live processors, like
 * {@code kafka-consumer-groups --describe}.
 */
@Command(name = "status", 
        description = "Shows partitions (owner, lag, pending, dead letters) and live processors.")
public final class StatusCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;
    @Mixin
    OutputOptions output;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (Session s = Session.existing(options.config(), Access.READ, spec)) {
            PrintWriter out = spec.commandLine().getOut();
            NamespaceStatus st = s.status().read();
            out.printf("KEYS partition tags %s, operation ids in %s%n", tags(s.keys.tags().rule()), ids(s.dedupeLayout));
            print(st, out, output.full);
            return unreadable(st, spec.commandLine().getErr(), output.full);
        }
    }

    /**
     * One line on stderr per partition whose state could not be read (a key another program made of another type),
     * naming the keys and the repair; exit 1 when there is one, as for a counter the listing cannot read, so that a
     * script sees the status is not whole. The other partitions' rows are printed above.
     */
    private static int unreadable(NamespaceStatus st, PrintWriter err, boolean full) {
        int max = full ? 0 : TerminalText.DEFAULT_MAX;
        for (PartitionStatus p : st.partitions()) {
            p.unreadable().ifPresent(why -> err.printf("partition %d cannot be read: %s; delete or repair that key "
                    + "(docs/operations.md)%n", p.partition(), TerminalText.safe(why, max)));
        }
        err.flush();
        return st.unreadable() == 0 ? 0 : Cli.FAILURE;
    }

    /** The namespace's partition tag rule as its keys show it (docs/wire-format.md). */
    private static String tags(String rule) {
        return rule == null ? "{p<i>}" : rule + " ({p<i>-<k>})";
    }

    /** Where the namespace keeps operation ids (docs/wire-format.md, "Operation ids"). */
    private static String ids(DedupeLayout layout) {
        return layout == DedupeLayout.KEY_PER_ID ? "a key per id" : "dedupe buckets (" + layout.stored() + ")";
    }

    /** Prints the table, long owner and member ids cut; public so the demo can show the same view. */
    public static void print(NamespaceStatus st, PrintWriter out) {
        print(st, out, false);
    }

    /** Prints the table; ids from Redis are escaped ({@link TerminalText}) and, unless {@code full}, cut. */
    static void print(NamespaceStatus st, PrintWriter out, boolean full) {
        out.printf("NAMESPACE %s  partitions %d  unowned %d  backlog %d  dead letters %d%s%n%n",
                TerminalText.safe(st.namespace()), st.partitions().size(), st.unowned(), st.totalBacklog(),
                st.totalDeadLetters(), st.unreadable() == 0 ? "" : "  unreadable " + st.unreadable());
        String fmt = "%-9s %-7s %-32s %10s %-22s %8s %8s %12s %5s%n";
        out.printf(fmt, "PARTITION", "STREAM", "OWNER", "LENGTH", "LAST-APPLIED", "LAG", "PENDING", "OLDEST-PEND", "DLQ");
        for (PartitionStatus p : st.partitions()) {
            row(out, fmt, p, "ops", p.ops(), Long.toString(p.deadLetters()), full);
            row(out, fmt, p, "events", p.events(), "", full);
        }
        halts(st, out, full);
        out.printf("%nPROCESSORS %d%n", st.members().size());
        if (!st.members().isEmpty()) {
            out.printf("%-40s %10s %14s%n", "ID", "PARTITIONS", "HEARTBEAT-AGE");
            for (MemberStatus m : st.members()) {
                out.printf("%-40s %10d %12d ms%n", full ? TerminalText.safe(m.id(), 0) : abbreviate(m.id(), 40),
                        m.partitionsOwned(), m.heartbeatAgeMs());
            }
        }
        out.flush();
    }

    /** Halted partitions, when there are any: reason, since, and the detail and processor from the halt hash. */
    private static void halts(NamespaceStatus st, PrintWriter out, boolean full) {
        if (st.halted() == 0) {
            return;
        }
        out.printf("%nHALTED %d%n", st.halted());
        String fmt = "%-9s %-20s %-24s %s%n";
        out.printf(fmt, "PARTITION", "REASON", "SINCE", "DETAIL");
        int max = full ? 0 : TerminalText.DEFAULT_MAX;
        for (PartitionStatus p : st.partitions()) {
            p.halt().ifPresent(h -> out.printf(fmt, p.partition(), TerminalText.safe(h.reason(), max),
                    h.sinceMs() < 0 ? "?" : Instant.ofEpochMilli(h.sinceMs()).truncatedTo(ChronoUnit.SECONDS),
                    TerminalText.safe(h.detail(), max) + " (processor " + abbreviate(h.processor(), 40) + ")"));
        }
    }

    private static void row(PrintWriter out, String fmt, PartitionStatus p, String stream, TopicStatus t, String dlq,
                            boolean full) {
        String owner = full ? TerminalText.safe(p.owner(), 0) : abbreviate(p.owner(), 32);
        if (!p.readable()) {
            out.printf(fmt, p.partition(), stream, p.owned() ? owner : "-", "?", "?", "?", "?", "?",
                    dlq.isEmpty() ? "" : "?");
            return;
        }
        out.printf(fmt, p.partition(), stream, p.owned() ? owner : "-", t.length(), TerminalText.safe(t.lastApplied()),
                t.lag() < 0 ? "?" : Long.toString(t.lag()), t.pending(),
                t.oldestPendingAgeMs() < 0 ? "-" : t.oldestPendingAgeMs() + " ms", dlq);
    }

    /** Escaped, and cut to {@code width} columns with "..." when longer. */
    private static String abbreviate(String s, int width) {
        String safe = TerminalText.safe(s, width);
        return safe.length() <= width ? safe : safe.substring(0, width - 3) + "...";
    }
}
