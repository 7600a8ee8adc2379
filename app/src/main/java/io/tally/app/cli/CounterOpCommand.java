package io.tally.app.cli;

import io.tally.common.model.CounterOp;
import io.tally.common.model.OpKind;
import io.tally.common.internal.wire.WireFormat;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.producer.read.CounterValue;
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
import java.util.concurrent.Callable;

/** {@code tally incr|decr|set|reset NAME [N]}: sends one counter operation, optionally waits for it. */
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

    @Option(names = {"-w", "--wait"}, description = "Wait until a processor has applied the operation, then print the value.")
    boolean await;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "How long --wait waits (default ${DEFAULT-VALUE} s).")
    long timeoutSeconds;

    abstract CounterOp op();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        CounterOp op = id == null ? op() : op().withId(id);
        try (Session s = Session.awaiting(options.config()); TallyProducer producer = s.producer()) {
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
            CounterValue v = reader.counter(name);
            out.printf("%s = %d%n", name, v.value());
            return 0;
        }
    }

    static long amount(String field, String raw) {
        return WireFormat.parseLong(field, raw);
    }

    @Command(name = "incr", mixinStandardHelpOptions = true, description = "Adds N (default 1) to a counter.")
    public static final class Incr extends CounterOpCommand {
        @Parameters(index = "1", arity = "0..1", paramLabel = "N", defaultValue = "1", description = "Amount, default 1.")
        String by;

        @Override
        CounterOp op() {
            return new CounterOp(OpKind.INCR, name, amount("N", by), null, null);
        }
    }

    @Command(name = "decr", mixinStandardHelpOptions = true, description = "Subtracts N (default 1) from a counter.")
    public static final class Decr extends CounterOpCommand {
        @Parameters(index = "1", arity = "0..1", paramLabel = "N", defaultValue = "1", description = "Amount, default 1.")
        String by;

        @Override
        CounterOp op() {
            return new CounterOp(OpKind.DECR, name, amount("N", by), null, null);
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true, description = "Sets a counter to N.")
    public static final class Set extends CounterOpCommand {
        @Parameters(index = "1", paramLabel = "N", description = "New value (signed 64-bit).")
        String value;

        @Override
        CounterOp op() {
            return new CounterOp(OpKind.SET, name, amount("N", value), null, null);
        }
    }

    @Command(name = "reset", mixinStandardHelpOptions = true, description = "Sets a counter to 0.")
    public static final class Reset extends CounterOpCommand {
        @Override
        CounterOp op() {
            return CounterOp.reset(name);
        }
    }
}
