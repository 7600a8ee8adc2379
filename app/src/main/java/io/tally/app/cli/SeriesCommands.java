package io.tally.app.cli;

import io.tally.app.cli.EvictionCheck.Access;
import io.tally.common.config.ConfigException;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.wire.WireFormat;
import io.tally.producer.internal.read.CounterSeries;
import io.tally.producer.internal.read.SeriesRange;
import io.tally.producer.read.SeriesBucket;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;

/** Commands that read windowed series and unique counts: {@code series} and {@code unique}. */
public final class SeriesCommands {
    /** The eight levels of a sparkline, lowest first. */
    static final String SPARKS = "▁▂▃▄▅▆▇█";

    private SeriesCommands() {
    }

    @Command(name = "series", 
            description = {"Prints a counter's windowed series: one line per bucket (start, value) and a sparkline.",
                    "Buckets hold the deltas of incr/decr entries sent with windows naming the window; "
                            + "buckets without entries print 0."})
    @ReadsConfig(ConfigScope.SERIES)
    public static final class Series implements Callable<Integer> {
        @Mixin
        ConfigOptions options;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "NAME", description = "Counter name.")
        String name;
        @Option(names = "--window", required = true, paramLabel = "WINDOW",
                description = "One of the windows of --series-windows (default 1m, 1h, 1d).")
        String window;
        @Option(names = "--last", paramLabel = "DURATION",
                description = "The range ends at --to (default now) and is this long, e.g. 90m, 24h, 7d.")
        String last;
        @Option(names = "--from", paramLabel = "TIME",
                description = "Start: epoch ms or ISO-8601 (2030-01-01T00:00:00Z, 2030-01-01). "
                        + "Default: --to minus 60 windows.")
        String from;
        @Option(names = "--to", paramLabel = "TIME", description = "End (exclusive): epoch ms or ISO-8601. Default: now.")
        String to;

        @Override
        public Integer call() {
            WireFormat.checkName("counter", name);
            TallyConfig config = options.config();
            SeriesRange range;
            try {
                range = SeriesRange.resolve(config.get(TallyConfig.SERIES_WINDOWS), window, from, to, last,
                        System.currentTimeMillis());
            } catch (SeriesRange.InvalidRangeException e) {
                spec.commandLine().getErr().println(spec.qualifiedName() + ": --" + e.field() + ": " + e.getMessage());
                return Cli.USAGE;
            }
            List<SeriesBucket> buckets;
            try (Session s = Session.existing(config, Access.READ, spec)) {
                buckets = s.series().series(name, range.window().name(), range.fromMs(), range.toMs());
            }
            print(spec.commandLine().getOut(), range, buckets);
            return 0;
        }

        private void print(PrintWriter out, SeriesRange range, List<SeriesBucket> buckets) {
            out.printf("%s  window %s  from %s  to %s  %d bucket(s)%n", name, range.window().name(),
                    Instant.ofEpochMilli(range.fromMs()), Instant.ofEpochMilli(range.toMs()), buckets.size());
            if (buckets.isEmpty()) {
                return;
            }
            List<String> starts = new ArrayList<>(buckets.size());
            int width = 5;
            BigInteger total = BigInteger.ZERO;
            for (SeriesBucket b : buckets) {
                starts.add(Instant.ofEpochMilli(b.start()).toString());
                width = Math.max(width, Long.toString(b.value()).length());
                total = total.add(BigInteger.valueOf(b.value()));
            }
            int startWidth = starts.stream().mapToInt(String::length).max().orElse(5);
            out.printf("%-" + startWidth + "s  %" + width + "s%n", "START", "VALUE");
            for (int i = 0; i < buckets.size(); i++) {
                out.printf("%-" + startWidth + "s  %" + width + "d%n", starts.get(i), buckets.get(i).value());
            }
            out.println(sparkline(buckets.stream().mapToLong(SeriesBucket::value).toArray()));
            out.printf("total %d  min %d  max %d%n", total,
                    buckets.stream().mapToLong(SeriesBucket::value).min().orElse(0),
                    buckets.stream().mapToLong(SeriesBucket::value).max().orElse(0));
        }
    }

    /**
     * One character per value: {@code ▁} for the lowest (or 0, whichever is lower), {@code █} for the
     * highest, linearly in between; all {@code ▁} when every value is the same.
     */
    static String sparkline(long[] values) {
        long lo = 0;
        long hi = 0;
        for (long v : values) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        StringBuilder sb = new StringBuilder(values.length);
        double span = (double) hi - (double) lo;
        for (long v : values) {
            int level = span == 0 ? 0 : (int) Math.round(((double) v - (double) lo) / span * (SPARKS.length() - 1));
            sb.append(SPARKS.charAt(level));
        }
        return sb.toString();
    }

    @Command(name = "unique", 
            description = {"Prints the estimated number of distinct members of the counters' unique entries "
                    + "(HyperLogLog, about 0.81%% standard error).", "With several counters: of their union "
                    + "(a member of two counters counts once)."})
    public static final class Unique implements Callable<Integer> {
        @Mixin
        ConfigOptions options;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "NAME", arity = "1..*", description = "Counter names.")
        List<String> names;

        @Override
        public Integer call() {
            LinkedHashSet<String> counters = new LinkedHashSet<>();
            for (String n : names) {
                WireFormat.checkName("counter", n);
                counters.add(n);
            }
            if (counters.size() > CounterSeries.MAX_UNION_ACROSS_PARTITIONS) {
                // Checked before any read: the union would refuse it only after one read per name.
                throw new ConfigException("names " + counters.size() + " counters; a union counts at most "
                        + CounterSeries.MAX_UNION_ACROSS_PARTITIONS);
            }
            try (Session s = Session.existing(options.config(), Access.READ, spec)) {
                CounterSeries series = s.series();
                for (String n : counters) {
                    OptionalLong one = series.uniqueIfPresent(n);
                    if (one.isEmpty()) {
                        spec.commandLine().getErr().println("counter '" + n + "' has no unique entries");
                    }
                }
                spec.commandLine().getOut().println(series.uniqueUnion(counters));
                return 0;
            }
        }
    }
}
