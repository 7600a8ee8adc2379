package io.tally.app.cli;

import io.tally.app.cli.EvictionCheck.Access;
import io.tally.common.config.ConfigException;
import io.tally.common.config.TallyConfig;
import io.tally.common.model.CounterOp;
import io.tally.common.model.OpKind;
import io.tally.common.internal.wire.WireFormat;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.producer.read.CounterValue;
import io.tally.producer.internal.read.SeriesRange;
import io.tally.producer.read.TallyReader;
import io.tally.producer.read.Topic;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;

/**
 * {@code tally incr|decr|set|reset|unique-add NAME ...}: sends one counter operation, optionally waits
 * for it. What the API's body fields carry are options here: {@code --id}, {@code --ts}, and
 * {@code --windows} on the operations that count in series (incr, decr, unique-add), checked against
 * {@code series-windows} before anything is sent.
 */
@ReadsConfig(ConfigScope.PRODUCER)
public abstract class CounterOpCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "Counter name (1-200 bytes of UTF-8).")
    String name;

    @Option(names = "--id", paramLabel = "ID", description = "Idempotency key, scoped to the counter: a repeated send with the same id is written once; "
            + "the same id with another operation is a conflict (exit 1).")
    String id;

    @Option(names = "--ts", paramLabel = "TIME", description = "Producer time, epoch ms or ISO-8601 "
            + "(2030-01-01T00:00:00Z); it picks the series buckets. Default: the time Redis gives the entry.")
    String ts;

    @Option(names = {"-w", "--wait"}, description = "Wait until a processor has applied the operation, then print the value.")
    boolean await;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "How long --wait waits, 1 to " + OptionRange.DAY_S + " s (default ${DEFAULT-VALUE} s).")
    @OptionRange(min = 1, max = OptionRange.DAY_S)
    long timeoutSeconds;

    abstract CounterOp op();

    /** The windows given with {@code --windows}; none for the operations that take no windows. */
    List<String> windows() {
        return List.of();
    }

    @Override
    public Integer call() {
        TallyConfig config = options.config();
        CounterOp op = withOptions(op(), config);
        PrintWriter out = spec.commandLine().getOut();
        try (Session s = Session.awaiting(config, Access.WRITE, spec);
             TallyProducer producer = s.producer()) {
            SendResult r = producer.send(op).join();
            out.printf("%s %s: partition %d, entry %s%s%n", op.kind().wireName(), name, r.partition(), r.entryId(),
                    r.duplicate() ? " (duplicate: already sent with this id)" : "");
            if (!await) {
                return 0;
            }
            TallyReader reader = s.reader();
            if (!reader.awaitApplied(r.partition(), Topic.OPS, r.entryId(), Duration.ofSeconds(timeoutSeconds))) {
                spec.commandLine().getErr().printf("%s: entry %s was not applied within %d s; is a processor running "
                        + "(tally status)?%n", spec.qualifiedName(), r.entryId(), timeoutSeconds);
                return Cli.FAILURE;
            }
            printApplied(s, out);
            return 0;
        }
    }

    /** After {@code --wait}: the counter's value. */
    void printApplied(Session s, PrintWriter out) {
        CounterValue v = s.reader().counter(name);
        out.printf("%s = %d%n", name, v.value());
    }

    /** The operation with {@code --id}, {@code --ts} and {@code --windows} applied and checked. */
    private CounterOp withOptions(CounterOp op, TallyConfig config) {
        CounterOp result = id == null ? op : op.withId(id);
        if (ts != null) {
            try {
                result = result.withTs(SeriesRange.parseTime("ts", ts));
            } catch (SeriesRange.InvalidRangeException e) {
                throw new ConfigException("Invalid value '" + ts + "' for --ts: " + e.getMessage());
            }
        }
        List<String> windows = windows();
        if (!windows.isEmpty()) {
            config.get(TallyConfig.SERIES_WINDOWS).requireConfigured("--windows", windows);
            result = result.withWindows(windows.toArray(String[]::new));
        }
        return result;
    }

    static long amount(String field, String raw) {
        return WireFormat.parseLong(field, raw);
    }

    /** {@code --windows}, on the operations that also count in series buckets. */
    public static final class WindowsOption {
        @Option(names = "--windows", paramLabel = "W[,W...]", description = "Also count in the buckets of these "
                + "series windows, e.g. 1m,1h; each must be one of series-windows (checked before sending).")
        String windows;

        List<String> parsed() {
            return windows == null ? List.of() : WireFormat.parseWindows("--windows", windows);
        }
    }

    /** incr and decr: a counter, an amount and optional series windows. */
    abstract static class Delta extends CounterOpCommand {
        @Parameters(index = "1", arity = "0..1", paramLabel = "N", defaultValue = "1", description = "Amount, default 1.")
        String by;
        @Mixin
        WindowsOption windowsOption;

        abstract OpKind kind();

        @Override
        CounterOp op() {
            return new CounterOp(kind(), name, amount("N", by), null, null);
        }

        @Override
        List<String> windows() {
            return windowsOption.parsed();
        }
    }

    @Command(name = "incr", description = "Adds N (default 1) to a counter.")
    @ReadsConfig(ConfigScope.SERIES)
    public static final class Incr extends Delta {
        @Override
        OpKind kind() {
            return OpKind.INCR;
        }
    }

    @Command(name = "decr", description = "Subtracts N (default 1) from a counter.")
    @ReadsConfig(ConfigScope.SERIES)
    public static final class Decr extends Delta {
        @Override
        OpKind kind() {
            return OpKind.DECR;
        }
    }

    @Command(name = "set", description = "Sets a counter to N.")
    public static final class Set extends CounterOpCommand {
        @Parameters(index = "1", paramLabel = "N", description = "New value (signed 64-bit).")
        String value;

        @Override
        CounterOp op() {
            return new CounterOp(OpKind.SET, name, amount("N", value), null, null);
        }
    }

    @Command(name = "reset", description = "Sets a counter to 0.")
    public static final class Reset extends CounterOpCommand {
        @Override
        CounterOp op() {
            return CounterOp.reset(name);
        }
    }

    /** {@code tally unique-add NAME MEMBER}: the API's {@code POST /v1/counters/{name}/unique}. */
    @Command(name = "unique-add", description = {"Adds a member to a counter's unique count (read it with "
            + "tally unique or tally get).", "A member added twice counts once."})
    @ReadsConfig(ConfigScope.SERIES)
    public static final class UniqueAdd extends CounterOpCommand {
        @Parameters(index = "1", paramLabel = "MEMBER", description = "The member (1-200 bytes of UTF-8), e.g. a user id.")
        String member;
        @Mixin
        WindowsOption windowsOption;

        @Override
        CounterOp op() {
            return CounterOp.unique(name, member);
        }

        @Override
        List<String> windows() {
            return windowsOption.parsed();
        }

        @Override
        void printApplied(Session s, PrintWriter out) {
            OptionalLong unique = s.series().uniqueIfPresent(name);
            out.printf("%s unique = %d%n", name, unique.orElse(0));
        }
    }
}
