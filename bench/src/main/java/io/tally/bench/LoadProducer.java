package io.tally.bench;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.model.CounterOp;
import io.tally.producer.SendResult;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.RawRedis;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The producer process of the bench: sends the {@link Workload} through {@link TallyProducer} at a
 * target rate (or as fast as it can), then writes what it sent to {@code --out} ({@code key=value}
 * lines) and the expected counter values of the sends that succeeded to {@code <out>.expected}.
 *
 * <p>With {@code --latency} it also measures produce → applied latency: a thread polls each partition's
 * checkpoint (one pipelined round of HGETs every ~1 ms) and logs when it first saw each value
 * ({@link CheckpointLog}); every acknowledged entry id is queued per partition and recorded as "time the
 * checkpoint was first seen at or past it" minus the id's millisecond part (both clocks of this
 * machine), whenever its acknowledgment arrived. Entries whose id is within {@code --warmup-ms} of the
 * start are not recorded. It also records the acknowledgment latency (ack_p*: id time to the send's
 * completion in the producer).
 *
 * <p>{@code java -Xmx256m -cp tally-bench.jar io.tally.bench.LoadProducer --redis-url URL --namespace NS
 * [--rate R] [--seconds S | --count N | --stop-file F] [--seed N] [--idempotent] [--latency] --out FILE}
 */
public final class LoadProducer {
    /** Sends waiting for their reply at most (below the producer's buffer, so nothing is refused locally). */
    private static final long MAX_OUTSTANDING = 50_000;
    /**
     * How long the generator sleeps once it is on schedule: it then hands the producer a millisecond's
     * sends at once, which the producer's 1 ms linger would gather into one batch anyway. Waking every
     * 0.1 ms would make this thread the machine's busiest source of context switches (about 10,000 a
     * second) on the cores the measured processor and Redis share.
     */
    private static final long PACE_NANOS = 1_000_000;

    private String redisUrl = "redis://127.0.0.1:6379";
    private String namespace;
    private double rate;
    private double seconds;
    private long count;
    private Path stopFile;
    private long seed = 1;
    private boolean idempotent;
    private boolean latency;
    private long warmupMs = 1000;
    private Path out;

    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile String firstError;
    private final AtomicLongArray expected = new AtomicLongArray(Workload.COUNTERS);
    private ArrayDeque<long[]>[] sentIds;
    private final Histogram histogram = new Histogram(TimeUnit.MINUTES.toMillis(10), 3);
    private final Histogram ackHistogram = new Histogram(TimeUnit.MINUTES.toMillis(10), 3);
    private volatile boolean polling = true;
    private long startMs;

    private LoadProducer() {
    }

    public static void main(String[] args) throws Exception {
        LoadProducer lp = new LoadProducer();
        lp.parse(args);
        System.exit(lp.run());
    }

    private void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--redis-url" -> redisUrl = args[++i];
                case "--namespace" -> namespace = args[++i];
                case "--rate" -> rate = Double.parseDouble(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--count" -> count = Long.parseLong(args[++i]);
                case "--stop-file" -> stopFile = Path.of(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--idempotent" -> idempotent = true;
                case "--latency" -> latency = true;
                case "--warmup-ms" -> warmupMs = Long.parseLong(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        if (namespace == null || out == null) {
            throw new IllegalArgumentException("--namespace and --out are required");
        }
    }

    @SuppressWarnings("unchecked")
    private int run() throws Exception {
        TallyConfig config = TallyConfig.builder().env(System.getenv())
                .set(TallyConfig.REDIS_URL, redisUrl).set(TallyConfig.NAMESPACE, namespace)
                .set(TallyConfig.PARTITIONS, Workload.PARTITIONS).build();
        sentIds = new ArrayDeque[Workload.PARTITIONS];
        for (int p = 0; p < sentIds.length; p++) {
            sentIds[p] = new ArrayDeque<>();
        }
        Thread poller = null;
        long sent;
        long elapsedNanos;
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            startMs = System.currentTimeMillis();
            if (latency) {
                poller = new Thread(this::pollCheckpoints, "latency-poller");
                poller.start();
            }
            long start = System.nanoTime();
            sent = sendAll(producer, new Workload(seed), start);
            producer.flush();
            elapsedNanos = System.nanoTime() - start;
        }
        if (poller != null) {
            awaitLastCheckpoints(poller);
        }
        long[] exp = new long[Workload.COUNTERS];
        for (int i = 0; i < exp.length; i++) {
            exp[i] = expected.get(i);
        }
        Workload.writeExpected(Path.of(out + ".expected"), exp);
        try {
            Files.writeString(out, report(sent, elapsedNanos));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return 0;
    }

    /** Sends at the target rate (or as fast as the producer takes them) until time, count or stop file say stop. */
    private long sendAll(TallyProducer producer, Workload workload, long start) throws Exception {
        long sent = 0;
        long end = seconds > 0 ? start + (long) (seconds * 1e9) : Long.MAX_VALUE;
        long lastStopCheck = 0;
        while (true) {
            long now = System.nanoTime();
            if (now >= end || (count > 0 && sent >= count)) {
                return sent;
            }
            if (stopFile != null && now - lastStopCheck > 50_000_000L) {
                lastStopCheck = now;
                if (Files.exists(stopFile)) {
                    return sent;
                }
            }
            if (sent - ok.get() - failed.get() >= MAX_OUTSTANDING) {
                LockSupport.parkNanos(100_000);
                continue;
            }
            long due = rate > 0 ? (long) ((now - start) / 1e9 * rate) : sent + 1000;
            if (count > 0) {
                due = Math.min(due, count);
            }
            if (sent >= due) {
                LockSupport.parkNanos(PACE_NANOS);
                continue;
            }
            while (sent < due && sent - ok.get() - failed.get() < MAX_OUTSTANDING) {
                send(producer, workload.next(), sent);
                sent++;
            }
        }
    }

    private void send(TallyProducer producer, Workload.Op op, long sequence) {
        CounterOp cop = op.delta() < 0 ? CounterOp.decr(op.name(), -op.delta()) : CounterOp.incr(op.name(), op.delta());
        cop = cop.withTs(System.currentTimeMillis());
        if (idempotent) {
            cop = cop.withId(namespace + "-" + seed + "-" + sequence);
        }
        producer.send(cop).whenComplete((r, e) -> done(op, r, e));
    }

    /** Waits (at most a minute) until the poller has seen every acknowledged id applied, then stops it. */
    private void awaitLastCheckpoints(Thread poller) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline && pendingIds() > 0) {
            Thread.sleep(5);
        }
        polling = false;
        poller.join();
    }

    private String report(long sent, long elapsedNanos) {
        StringBuilder sb = new StringBuilder();
        sb.append("sent=").append(sent).append('\n');
        sb.append("ok=").append(ok.get()).append('\n');
        sb.append("failed=").append(failed.get()).append('\n');
        sb.append("elapsed_s=").append(elapsedNanos / 1e9).append('\n');
        sb.append("rate=").append(ok.get() / (elapsedNanos / 1e9)).append('\n');
        if (firstError != null) {
            sb.append("first_error=").append(firstError.replace('\n', ' ')).append('\n');
        }
        if (latency) {
            sb.append("lat_count=").append(histogram.getTotalCount()).append('\n');
            sb.append("lat_p50=").append(histogram.getValueAtPercentile(50)).append('\n');
            sb.append("lat_p99=").append(histogram.getValueAtPercentile(99)).append('\n');
            sb.append("lat_p999=").append(histogram.getValueAtPercentile(99.9)).append('\n');
            sb.append("lat_max=").append(histogram.getMaxValue()).append('\n');
            sb.append("ack_p50=").append(ackHistogram.getValueAtPercentile(50)).append('\n');
            sb.append("ack_p99=").append(ackHistogram.getValueAtPercentile(99)).append('\n');
            sb.append("ack_p999=").append(ackHistogram.getValueAtPercentile(99.9)).append('\n');
            sb.append("lat_unmatched=").append(pendingIds()).append('\n');
        }
        return sb.toString();
    }

    private void done(Workload.Op op, SendResult result, Throwable error) {
        if (error != null) {
            failed.incrementAndGet();
            if (firstError == null) {
                firstError = error.toString();
            }
            return;
        }
        ok.incrementAndGet();
        expected.addAndGet(op.counter(), op.delta());
        if (latency) {
            long[] id = parseId(result.entryId());
            synchronized (ackHistogram) {
                ackHistogram.recordValue(Math.max(0, System.currentTimeMillis() - id[0]));
            }
            ArrayDeque<long[]> q = sentIds[result.partition()];
            synchronized (q) {
                q.addLast(id);
            }
        }
    }

    private long pendingIds() {
        long n = 0;
        for (ArrayDeque<long[]> q : sentIds) {
            synchronized (q) {
                n += q.size();
            }
        }
        return n;
    }

    private void pollCheckpoints() {
        CheckpointLog[] applied = new CheckpointLog[Workload.PARTITIONS];
        for (int p = 0; p < applied.length; p++) {
            applied[p] = new CheckpointLog();
        }
        try (RawRedis redis = new RawRedis(redisUrl)) {
            Keys keys = redis.namespaceKeys(namespace);
            while (polling) {
                for (int p = 0; p < Workload.PARTITIONS; p++) {
                    redis.send("HGET", keys.checkpoint(p), "ops");
                }
                redis.flush();
                Object[] checkpoints = new Object[Workload.PARTITIONS];
                for (int p = 0; p < Workload.PARTITIONS; p++) {
                    checkpoints[p] = redis.read();
                }
                long now = System.currentTimeMillis();
                for (int p = 0; p < Workload.PARTITIONS; p++) {
                    if (checkpoints[p] instanceof byte[] id) {
                        applied[p].observe(now, parseId(RawRedis.text(id)));
                    }
                    ArrayDeque<long[]> q = sentIds[p];
                    synchronized (q) {
                        while (!q.isEmpty()) {
                            long at = applied[p].firstSeenAtOrPast(q.peekFirst());
                            if (at < 0) {
                                break;
                            }
                            long idMs = q.pollFirst()[0];
                            if (idMs >= startMs + warmupMs) {
                                histogram.recordValue(Math.max(0, at - idMs));
                            }
                        }
                    }
                }
                LockSupport.parkNanos(1_000_000);
            }
        }
    }

    private static long[] parseId(String id) {
        int dash = id.indexOf('-');
        return new long[]{Long.parseLong(id, 0, dash, 10), Long.parseLong(id, dash + 1, id.length(), 10)};
    }
}
