package io.tally.app.cli;

import io.tally.app.cli.EvictionCheck.Access;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.producer.BackpressureException;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code tally loadgen}: sends counter increments (and optionally events) at a steady rate, prints a
 * progress line each second and a summary, and can write the expected final value of every counter
 * it touched, from the sends Redis acknowledged, for {@code tally verify}.
 */
@Command(name = "loadgen", 
        description = {"Generates load at a fixed rate and reports throughput and errors.",
                "Ctrl-C stops it early: it waits for the sends in flight, prints the summary and exits 130."})
@ReadsConfig(ConfigScope.PRODUCER)
public final class LoadgenCommand implements Callable<Integer> {
    /** Sends in flight at most, so a slow Redis cannot make the generator run out of memory. */
    static final int MAX_IN_FLIGHT = 50_000;
    /** Longest --duration, s (about 31 years). */
    static final double MAX_DURATION_S = 1e9;

    @Mixin
    ConfigOptions options;
    @Spec
    CommandSpec spec;
    @Option(names = "--rate", defaultValue = "1000", description = "Entries per second, at least 1 (default ${DEFAULT-VALUE}).")
    @OptionRange(min = 1, max = Integer.MAX_VALUE)
    int rate;
    @Option(names = "--duration", defaultValue = "10", description = "Seconds to run, above 0 and at most 1e9 "
            + "(default ${DEFAULT-VALUE}).")
    @OptionRange(min = 0, minExclusive = true, max = MAX_DURATION_S) // keeps the duration in nanoseconds within a long
    double duration;
    @Option(names = "--counters", defaultValue = "100", description = "Distinct counters, at least 1 (default ${DEFAULT-VALUE}).")
    @OptionRange(min = 1, max = Integer.MAX_VALUE)
    int counters;
    @Option(names = "--events", defaultValue = "0",
            description = "Percent of entries that are events instead of increments, 0 to 100 (default ${DEFAULT-VALUE}).")
    @OptionRange(min = 0, max = 100)
    int eventPercent;
    @Option(names = "--prefix", description = "Counter name prefix (default: loadgen-<random>-, so a run starts from 0).")
    String prefix;
    @Option(names = "--idempotent", description = "Give every operation an id (safe retries, slower).")
    boolean idempotent;
    @Option(names = "--expect-file", paramLabel = "FILE",
            description = "Write 'counter value' lines with the expected final values (check with tally verify).")
    Path expectFile;

    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong backpressure = new AtomicLong();
    private final AtomicLong unknown = new AtomicLong();
    private final Map<String, LongAdder> expected = new ConcurrentHashMap<>();

    /**
     * Sends until {@code --duration} is over, or until SIGINT (Ctrl-C) or SIGTERM: then it stops sending,
     * waits for the sends in flight, prints the summary (and the expect file) all the same and exits with
     * the signal's shell code, 130 for SIGINT (143 for SIGTERM). A signal while it still waits for the
     * namespace ends it at once, with the same code: nothing was sent.
     */
    @Override
    public Integer call() throws InterruptedException {
        String names = prefix != null ? prefix : "loadgen-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffff) + "-";
        PrintWriter out = spec.commandLine().getOut();
        boolean tty = System.console() != null;
        out.printf("loadgen: %d entries/s for %s s over %d counters (prefix %s), %d%% events%n", rate,
                fmt(duration), counters, names, eventPercent);
        out.flush();
        long start = System.nanoTime();
        AtomicInteger signalled = new AtomicInteger();
        ShutdownSignals.Interception signals = null;
        long sent;
        try (Session s = Session.awaiting(options.config(), Access.WRITE, spec); TallyProducer producer = s.producer()) {
            // only from here on: Ctrl-C while the session waits for the namespace ends the JVM at once
            signals = ShutdownSignals.intercept(code -> signalled.compareAndSet(0, code));
            sent = sendUntilStopped(producer, names, start, signalled, out, tty);
        } finally {
            if (signals != null) {
                signals.close();
            }
        }
        double secs = (System.nanoTime() - start) / 1e9;
        if (tty) {
            out.println();
        }
        out.printf("loadgen: %ssent %d in %.1f s (%.0f/s), acknowledged %d, errors %d (backpressure %d, outcome unknown %d)%n",
                signalled.get() == 0 ? "" : "interrupted: ", sent, secs, sent / secs, acked.get(), errors.get(),
                backpressure.get(), unknown.get());
        if (expectFile != null) {
            writeExpected(out);
        }
        out.flush();
        if (signalled.get() != 0) {
            return signalled.get();
        }
        return errors.get() == 0 ? 0 : Cli.FAILURE;
    }

    /** Sends at {@code --rate} until {@code --duration} is over or a signal came, then flushes; returns the sends. */
    private long sendUntilStopped(TallyProducer producer, String names, long start, AtomicInteger signalled,
                                  PrintWriter out, boolean tty) throws InterruptedException {
        long sent = 0;
        long runNanos = (long) (duration * 1e9);
        long nextReport = start + TimeUnit.SECONDS.toNanos(1);
        Semaphore window = new Semaphore(MAX_IN_FLIGHT);
        while (signalled.get() == 0) {
            long now = System.nanoTime();
            if (now - start >= runNanos) { // nanoTime compared by difference: it may wrap
                break;
            }
            long due = (long) ((now - start) / 1e9 * rate);
            while (sent < due && signalled.get() == 0) {
                window.acquire();
                send(producer, names, sent++).whenComplete((r, e) -> window.release());
            }
            if (now >= nextReport) {
                progress(out, tty, now - start, sent);
                nextReport += TimeUnit.SECONDS.toNanos(1);
            }
            TimeUnit.MILLISECONDS.sleep(1);
        }
        producer.flush();
        return sent;
    }

    private CompletableFuture<SendResult> send(TallyProducer producer, String names, long i) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        if (eventPercent > 0 && rnd.nextInt(100) < eventPercent) {
            Event e = Event.of("loadgen.event" + (i % 5), Map.of("n", Long.toString(i)));
            return track(producer.emit(idempotent ? e.withId(names + "e" + i) : e), null, 0);
        }
        String counter = names + (i % counters);
        long by = 1 + rnd.nextInt(5);
        CounterOp op = CounterOp.incr(counter, by);
        return track(producer.send(idempotent ? op.withId(names + i) : op), counter, by);
    }

    private CompletableFuture<SendResult> track(CompletableFuture<SendResult> f, String counter, long by) {
        return f.whenComplete((r, e) -> {
            if (e == null) {
                acked.incrementAndGet();
                if (counter != null) {
                    expected.computeIfAbsent(counter, k -> new LongAdder()).add(by);
                }
                return;
            }
            errors.incrementAndGet();
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof BackpressureException) {
                backpressure.incrementAndGet();
            } else if (cause instanceof OutcomeUnknownException) {
                unknown.incrementAndGet();
            }
        });
    }

    private void progress(PrintWriter out, boolean tty, long elapsedNanos, long sent) {
        double secs = elapsedNanos / 1e9;
        String line = String.format("  %5.1f s  sent %d  acked %d  rate %.0f/s  errors %d", secs, sent, acked.get(),
                sent / secs, errors.get());
        if (tty) {
            out.print("\r" + line);
        } else {
            out.println(line);
        }
        out.flush();
    }

    private void writeExpected(PrintWriter out) {
        Map<String, Long> sorted = new TreeMap<>();
        expected.forEach((k, v) -> sorted.put(k, v.sum()));
        StringBuilder sb = new StringBuilder();
        sorted.forEach((k, v) -> sb.append(k).append(' ').append(v).append('\n'));
        try {
            Files.writeString(expectFile, sb.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write --expect-file " + expectFile, e);
        }
        out.printf("loadgen: wrote expected values of %d counters to %s%s%n", sorted.size(), expectFile,
                unknown.get() > 0 ? " (" + unknown.get() + " sends of unknown outcome are not counted: values may be higher)" : "");
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
