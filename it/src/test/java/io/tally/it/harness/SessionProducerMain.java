package io.tally.it.harness;

import io.tally.common.config.TallyConfig;
import io.tally.common.model.CounterOp;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.SendResult;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A producer in a JVM of its own for crash tests that SIGKILL it: instance {@code k} sends
 * {@code incr p<k>-c<j> by n} for n = 1..count (every fifth with operation id {@code <k>-<n>}), so each
 * send's entry is unique and names its sender, at about {@code rate} sends/s, and writes every outcome
 * to a file as it learns it: {@code ok <n> <entry id>}, {@code unknown <n>} (outcome unknown, or a send
 * with an id that failed: it may have been written) or {@code failed <n>} (the producer says it was not
 * written). A send without a line was in flight when the process died. {@code done} ends a run that
 * finished.
 *
 * <p>Arguments: redis url, namespace, instance k, count, rate, outcome file.
 */
public final class SessionProducerMain {
    /** Counters per instance. */
    public static final int COUNTERS = 8;

    private SessionProducerMain() {
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String namespace = args[1];
        int k = Integer.parseInt(args[2]);
        int count = Integer.parseInt(args[3]);
        int rate = Integer.parseInt(args[4]);
        Path out = Path.of(args[5]);
        TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, url).set(TallyConfig.NAMESPACE, namespace)
                .set(TallyConfig.SEND_TIMEOUT_MS, 3000L).build();
        Semaphore inFlight = new Semaphore(2000);
        try (BufferedWriter log = Files.newBufferedWriter(out, StandardCharsets.UTF_8);
             TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            long start = System.nanoTime();
            long lastFlush = start;
            for (int n = 1; n <= count; n++) {
                long due = start + TimeUnit.SECONDS.toNanos(n) / rate;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                inFlight.acquire();
                CounterOp op = CounterOp.incr(counter(k, n), n);
                boolean withId = n % 5 == 0;
                int sent = n;
                producer.send(withId ? op.withId(k + "-" + n) : op).whenComplete((r, e) -> {
                    record(log, sent, withId, r, e);
                    inFlight.release();
                });
                if (System.nanoTime() - lastFlush > TimeUnit.MILLISECONDS.toNanos(100)) {
                    flush(log);
                    lastFlush = System.nanoTime();
                }
            }
            producer.flush();
            inFlight.acquire(2000);
            synchronized (log) {
                log.write("done\n");
            }
        }
    }

    public static String counter(int k, int n) {
        return "p" + k + "-c" + (n % COUNTERS);
    }

    private static void record(BufferedWriter log, int n, boolean withId, SendResult r, Throwable e) {
        String line;
        if (e == null) {
            line = "ok " + n + " " + r.entryId();
        } else {
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            line = (withId || cause instanceof OutcomeUnknownException ? "unknown " : "failed ") + n;
        }
        synchronized (log) {
            try {
                log.write(line);
                log.write('\n');
            } catch (IOException ignored) {
                // the test sees the send as in flight
            }
        }
    }

    private static void flush(BufferedWriter log) {
        synchronized (log) {
            try {
                log.flush();
            } catch (IOException ignored) {
                // as above
            }
        }
    }
}
