package io.tally.app.cli;

import io.tally.app.cli.EvictionCheck.Access;
import io.tally.common.config.ConfigException;
import io.tally.producer.read.CounterPage;
import io.tally.producer.read.CounterValue;
import io.tally.producer.read.TallyReader;
import io.tally.producer.read.UnreadableCounter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code tally counters}: one page of the counter listing ({@link TallyReader#counterPage}), so that the work
 * and memory of a call follow {@code --limit}, not the namespace; {@code --all} pages on to the end, holding
 * one page at a time. Rows go to stdout; how to go on goes to stderr, so that stdout stays the rows. A counter whose
 * stored value Tally cannot read (another program wrote it) is one line on stderr after its page's rows, and the
 * command exits 1 at the end: it hides no other counter, and a script still notices.
 */
@Command(name = "counters", description = {
        "Lists counters and their values: one page of about --limit (at most twice it), sorted by name within the page.",
        "When more follow, the last line on stderr says how to go on: more: tally counters ... --cursor C "
                + "(with the same connection options).",
        "--all lists every page, each printed as it comes: rows are sorted within a page, not across pages "
                + "(pipe to sort for that).",
        "A counter whose stored value is not a canonical 64-bit integer (another program wrote it) is one line on "
                + "stderr naming it, its value and its key; the other counters are listed, and the exit code is 1."})
public final class CountersCommand implements Callable<Integer> {
    static final int DEFAULT_LIMIT = 1000;

    @Mixin
    ConfigOptions options;
    @Spec
    CommandSpec spec;
    @Mixin
    OutputOptions output;
    @Option(names = "--prefix", paramLabel = "TEXT", description = "Only counters whose name starts with TEXT.")
    String prefix;
    @Option(names = "--limit", paramLabel = "N", defaultValue = "" + DEFAULT_LIMIT, description = "About how many "
            + "counters a page holds, 1 to " + TallyReader.MAX_PAGE_LIMIT + " (default ${DEFAULT-VALUE}): fewer while "
            + "more follow, or a few more (at most twice it).")
    @OptionRange(min = 1, max = TallyReader.MAX_PAGE_LIMIT)
    int limit;
    @Option(names = "--cursor", paramLabel = "C", description = "Go on where a listing stopped (its more: line).")
    String cursor;
    @Option(names = "--all", description = "Every page to the end of the listing, each as it comes.")
    boolean all;

    @Override
    public Integer call() {
        try (Session s = Session.existing(options.config(), Access.READ, spec)) {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            CounterPage page = firstPage(s.reader());
            int printed = print(page.counters(), out);
            int unreadable = report(page.unreadable(), out, err);
            while (all && page.cursor() != null) {
                page = s.reader().counterPage(prefix, page.cursor(), limit);
                printed += print(page.counters(), out);
                unreadable += report(page.unreadable(), out, err);
            }
            out.flush();
            if (page.cursor() != null) {
                if (printed + unreadable == 0) {
                    err.println("this page holds no counters; the listing goes on");
                }
                err.println(continuation(page.cursor()));
            } else if (printed + unreadable == 0) {
                out.println(none());
            }
            // the rows printed are true; the exit code tells a script that some counters are missing from them
            return unreadable == 0 ? 0 : Cli.FAILURE;
        }
    }

    /**
     * One line on stderr per counter whose stored value Tally cannot read, sorted by name, as {@code tally get}
     * says it for that counter alone; how many. The rows of the page go out first.
     */
    private int report(List<UnreadableCounter> unreadable, PrintWriter out, PrintWriter err) {
        if (unreadable.isEmpty()) {
            return 0;
        }
        out.flush();
        unreadable.stream().sorted(Comparator.comparing(UnreadableCounter::name))
                .forEach(u -> err.println(spec.qualifiedName() + ": " + TerminalText.safe(u.detail(), Cli.MESSAGE_MAX)));
        err.flush();
        return unreadable.size();
    }

    /** The page at {@code --cursor}: a cursor the listing did not give is the user's mistake, exit 2. */
    private CounterPage firstPage(TallyReader reader) {
        try {
            return reader.counterPage(prefix, cursor, limit);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("Invalid value '" + TerminalText.safe(cursor) + "' for --cursor: " + e.getMessage());
        }
    }

    /** A page's rows, sorted by name, names escaped and aligned; how many. */
    private int print(List<CounterValue> counters, PrintWriter out) {
        List<CounterValue> sorted = counters.stream().sorted(Comparator.comparing(CounterValue::name)).toList();
        List<String> names = sorted.stream().map(c -> output.safe(c.name())).toList();
        int width = names.stream().mapToInt(String::length).max().orElse(4);
        for (int i = 0; i < sorted.size(); i++) {
            out.printf("%-" + width + "s  %d%n", names.get(i), sorted.get(i).value());
        }
        return sorted.size();
    }

    private String none() {
        String none = cursor == null ? "no counters" : "no more counters";
        return prefix == null || prefix.isEmpty() ? none : none + " start with '" + output.safe(prefix) + "'";
    }

    /** The command that lists the next page: this one's prefix and limit, and the cursor. */
    private String continuation(String next) {
        StringBuilder line = new StringBuilder("more: ").append(spec.qualifiedName());
        if (prefix != null && !prefix.isEmpty()) {
            line.append(" --prefix ").append(shellWord(prefix));
        }
        if (limit != DEFAULT_LIMIT) {
            line.append(" --limit ").append(limit);
        }
        return line.append(" --cursor ").append(next).toString();
    }

    /**
     * The prefix as one shell word to paste; a prefix the terminal would be shown escaped (a control
     * character, a backslash) could not be pasted as it is shown, so it is named instead.
     */
    private static String shellWord(String text) {
        if (!TerminalText.safe(text, 0).equals(text)) {
            return "<the same prefix>";
        }
        return text.matches("[A-Za-z0-9._:/@%+=,-]+") ? text : "'" + text.replace("'", "'\\''") + "'";
    }
}
