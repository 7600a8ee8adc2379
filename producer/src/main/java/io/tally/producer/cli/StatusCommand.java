package io.tally.producer.cli;

import io.tally.producer.status.MemberStatus;
import io.tally.producer.status.NamespaceStatus;
import io.tally.producer.status.PartitionStatus;
import io.tally.producer.status.TopicStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * {@code tally status}: one row per partition and stream (owner, length, last applied id, lag,
 * pending, oldest pending age, dead letters) and the live processors, like
 * {@code kafka-consumer-groups --describe}.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Shows partitions (owner, lag, pending, dead letters) and live processors.")
public final class StatusCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (Session s = Session.existing(options.config())) {
            print(s.status().read(), spec.commandLine().getOut());
            return 0;
        }
    }

    /** Prints the table; public so the demo can show the same view. */
    public static void print(NamespaceStatus st, PrintWriter out) {
        out.printf("NAMESPACE %s  partitions %d  unowned %d  backlog %d  dead letters %d%n%n", st.namespace(),
                st.partitions().size(), st.unowned(), st.totalBacklog(), st.totalDeadLetters());
        String fmt = "%-9s %-7s %-32s %10s %-22s %8s %8s %12s %5s%n";
        out.printf(fmt, "PARTITION", "STREAM", "OWNER", "LENGTH", "LAST-APPLIED", "LAG", "PENDING", "OLDEST-PEND", "DLQ");
        for (PartitionStatus p : st.partitions()) {
            row(out, fmt, p, "ops", p.ops(), Long.toString(p.deadLetters()));
            row(out, fmt, p, "events", p.events(), "");
        }
        out.printf("%nPROCESSORS %d%n", st.members().size());
        if (!st.members().isEmpty()) {
            out.printf("%-40s %10s %14s%n", "ID", "PARTITIONS", "HEARTBEAT-AGE");
            for (MemberStatus m : st.members()) {
                out.printf("%-40s %10d %12d ms%n", m.id(), m.partitionsOwned(), m.heartbeatAgeMs());
            }
        }
        out.flush();
    }

    private static void row(PrintWriter out, String fmt, PartitionStatus p, String stream, TopicStatus t, String dlq) {
        out.printf(fmt, p.partition(), stream, p.owned() ? abbreviate(p.owner()) : "-", t.length(), t.lastApplied(),
                t.lag() < 0 ? "?" : Long.toString(t.lag()), t.pending(),
                t.oldestPendingAgeMs() < 0 ? "-" : t.oldestPendingAgeMs() + " ms", dlq);
    }

    private static String abbreviate(String s) {
        return s.length() <= 32 ? s : s.substring(0, 29) + "...";
    }
}
