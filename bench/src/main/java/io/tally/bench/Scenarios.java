package io.tally.bench;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.RedisClientFactory;
import org.redisson.Redisson;
import org.redisson.api.RStream;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamReadGroupArgs;
import org.redisson.client.codec.StringCodec;
import org.redisson.client.protocol.RedisStrictCommand;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The scenarios of issue 6. Each uses a namespace of its own, checks its counters and removes its keys. */
final class Scenarios {
    private static final String GROUP = Keys.GROUP;
    private final BenchContext ctx;
    private final Results results;

    Scenarios(BenchContext ctx) {
        this.ctx = ctx;
        this.results = ctx.results;
    }

    // ---------------------------------------------------------------- drain

    void drain(int run) throws IOException {
        String ns = ctx.namespace("drain", run);
        long n = ctx.count(2_000_000, 2_000);
        long[] expected = new long[Workload.COUNTERS];
        double fillRate = ctx.prefill(ns, n, 1000 + run, expected);
        BenchContext.log("drain: pre-filled %,d entries at %,.0f/s", n, fillRate);
        try (Observer o = ctx.observer(ns)) {
            if (ctx.ownsRedis) {
                o.resp.call("CONFIG", "RESETSTAT");
                o.resp.call("SLOWLOG", "RESET");
                o.resp.call("LATENCY", "RESET");
                o.resp.call("CONFIG", "SET", "latency-monitor-threshold", "5");
            }
            String[] jvm = ctx.jfr ? new String[]{"-XX:StartFlightRecording=filename=" + ctx.dir.resolve(ns + ".jfr")
                    + ",settings=profile"} : new String[0];
            try (Child proc = ctx.processor("d1", ns, jvm)) {
                proc.sampleHeap();
                // Time from the first applied batch, so the JVM's start-up is not counted.
                long deadline = System.currentTimeMillis() + 60_000;
                Observer.Progress p0;
                while ((p0 = o.progress()).applied() == 0) {
                    proc.requireAlive();
                    if (System.currentTimeMillis() > deadline) {
                        throw new IllegalStateException("drain: processor applied nothing in 60 s:\n" + proc.tail());
                    }
                    Sleep.ms(2);
                }
                double cpu0 = proc.cpuSeconds();
                double redis0 = o.resp.redisCpuSeconds();
                if (!o.awaitDrained(Math.max(120_000, n / 10))) {
                    throw new IllegalStateException("drain: not drained in time:\n" + proc.tail());
                }
                long t1 = System.nanoTime();
                double seconds = (t1 - p0.nanos()) / 1e9;
                double cpu1 = proc.cpuSeconds();
                double redis1 = o.resp.redisCpuSeconds();
                results.put("drain.ops", (n - p0.applied()) / seconds);
                results.put("drain.proc_cpu", 100 * (cpu1 - cpu0) / seconds);
                results.put("drain.redis_cpu", 100 * (redis1 - redis0) / seconds);
                results.put("drain.proc_us_per_op", 1e6 * (cpu1 - cpu0) / (n - p0.applied()));
                results.put("drain.redis_us_per_op", 1e6 * (redis1 - redis0) / (n - p0.applied()));
                Sleep.ms(600); // one more jstat sample
                results.put("drain.proc_heap", proc.maxHeapMb());
                results.put("drain.proc_rss", proc.peakRssMb());
                if (ctx.ownsRedis) {
                    Files.writeString(ctx.dir.resolve(ns + "-commandstats.txt"), o.resp.call("INFO", "commandstats")
                            + "\n# SLOWLOG GET 10\n" + o.resp.call("SLOWLOG", "GET", "10")
                            + "\n# LATENCY LATEST\n" + o.resp.call("LATENCY", "LATEST"));
                }
                proc.term();
                proc.await(30_000);
            }
            o.requireExact("drain", expected);
            o.deleteNamespace();
        }
    }

    // ---------------------------------------------------------------- steady

    /** Finds the highest rate n processors keep up with, then holds it for the steady period. */
    void steady(int run, int processors) {
        String ns = ctx.namespace("steady" + processors, run);
        String key = "steady" + processors;
        long[] expected = new long[Workload.COUNTERS];
        List<Child> procs = new ArrayList<>();
        try (Observer o = ctx.observer(ns)) {
            String[] ids = new String[processors];
            for (int i = 0; i < processors; i++) {
                ids[i] = "s" + (i + 1);
                procs.add(ctx.processor(ids[i], ns));
            }
            awaitBalanced(o, procs, ids);
            // Calibration: offer more than anyone can take, measure what goes in and out.
            double calSeconds = ctx.seconds(10, 3);
            Child cal = ctx.producer(ns + "-cal", ns, "--rate", "400000", "--seconds", Double.toString(calSeconds),
                    "--seed", Integer.toString(2000 + run));
            double[] calRates = rates(o, cal, 0.3);
            ctx.finishProducer(cal, expected, 120_000);
            awaitDrained(o, procs);
            // Whichever side is slower (the producer process or the processors) sets the rate.
            results.put(key + ".cal_in", calRates[0]);
            results.put(key + ".cal_out", calRates[1]);
            // The highest rate that keeps the lag bounded: the capacity the calibration saw, then 10 % less
            // per try that does not hold.
            double rate = Math.min(calRates[0], calRates[1]);
            BenchContext.log("%s: calibration in %,.0f/s out %,.0f/s; trying %,.0f/s", key, calRates[0], calRates[1], rate);
            double seconds = ctx.seconds(60, 4);
            double[] measured = null;
            boolean bounded = false;
            for (int attempt = 0; attempt < STEADY_TRIES; attempt++) {
                Child prod = ctx.producer(ns + "-steady" + attempt, ns, "--rate", Double.toString(rate),
                        "--seconds", Double.toString(seconds), "--seed", Integer.toString(3000 + 10 * run + attempt));
                measured = rates(o, prod, 0.2);
                ctx.finishProducer(prod, expected, 120_000);
                bounded = measured[2] > 0;
                BenchContext.log("%s: target %,.0f/s: in %,.0f/s out %,.0f/s, backlog max first half %,.0f, second half %,.0f: %s",
                        key, rate, measured[0], measured[1], measured[3], measured[4], bounded ? "bounded" : "growing");
                awaitDrained(o, procs);
                if (bounded) {
                    break;
                }
                rate *= 0.9;
            }
            results.put(key + ".in", measured[0]);
            results.put(key + ".out", measured[1]);
            results.put(key + ".bounded", bounded ? 1 : 0);
            if (processors == 1) {
                ctx.steadyRate = rate;
            }
            stopAll(procs);
            o.requireExact(key, expected);
            o.deleteNamespace();
        } finally {
            procs.forEach(Child::close);
        }
    }

    /**
     * Samples progress every 250 ms while the producer runs and returns, over the samples after the
     * first {@code skip} fraction of its sending time: {in/s, out/s, bounded (1/0), backlog max first
     * half, backlog max second half}.
     */
    private double[] rates(Observer o, Child producer, double skip) {
        List<Observer.Progress> samples = new ArrayList<>();
        while (producer.alive()) {
            Observer.Progress p = o.progress();
            if (p.added() > 0 || !samples.isEmpty()) {
                samples.add(p);
            }
            Sleep.ms(250);
        }
        // Drop the samples after sending stopped (added no longer grows) and the warm-up.
        int last = samples.size() - 1;
        while (last > 0 && samples.get(last).added() == samples.get(last - 1).added()) {
            last--;
        }
        if (last < 4) {
            return new double[]{Double.NaN, Double.NaN, 0, Double.NaN, Double.NaN};
        }
        int first = (int) (last * skip);
        Observer.Progress a = samples.get(first);
        Observer.Progress b = samples.get(last);
        double secs = (b.nanos() - a.nanos()) / 1e9;
        double in = (b.added() - a.added()) / secs;
        double out = (b.applied() - a.applied()) / secs;
        int mid = (first + last) / 2;
        double max1 = 0;
        double max2 = 0;
        for (int i = first; i <= last; i++) {
            if (i <= mid) {
                max1 = Math.max(max1, samples.get(i).backlog());
            } else {
                max2 = Math.max(max2, samples.get(i).backlog());
            }
        }
        // Bounded: the second half's worst backlog is not above the first half's by more than half,
        // give or take a quarter second of input, and the end backlog is under two seconds of input.
        boolean bounded = max2 <= 1.5 * max1 + 0.25 * in && b.backlog() <= 2 * in;
        return new double[]{in, out, bounded ? 1 : 0, max1, max2};
    }

    // ---------------------------------------------------------------- latency

    /** Steady rates tried, from the calibrated capacity down in steps of 10 %. */
    static final int STEADY_TRIES = 4;

    /** Seconds of the latency run not recorded, at scale 1. */
    static final double LATENCY_WARMUP_S = 15;

    void latency(int run) {
        String ns = ctx.namespace("latency", run);
        double rate = ctx.steadyRate / 2;
        long[] expected = new long[Workload.COUNTERS];
        List<Child> procs = new ArrayList<>();
        try (Observer o = ctx.observer(ns)) {
            procs.add(ctx.processor("l1", ns));
            awaitBalanced(o, procs, "l1");
            // 60 s measured after a warm-up in which the three JVMs' JIT compilers settle (on 2 cores they
            // take most of a core for the first ~10-15 s, and the tail of that time is theirs)
            double warmup = ctx.seconds(LATENCY_WARMUP_S, 1);
            double seconds = warmup + ctx.seconds(60, 4);
            Child prod = ctx.producer(ns + "-prod", ns, "--rate", Double.toString(rate), "--seconds",
                    Double.toString(seconds), "--latency", "--warmup-ms", Long.toString((long) (warmup * 1000)),
                    "--seed", Integer.toString(4000 + run));
            Map<String, String> r = ctx.finishProducer(prod, expected, (long) (seconds * 1000) + 120_000);
            results.put("latency.rate", Double.parseDouble(r.get("rate")));
            results.put("latency.p50", Double.parseDouble(r.get("lat_p50")));
            results.put("latency.p99", Double.parseDouble(r.get("lat_p99")));
            results.put("latency.p999", Double.parseDouble(r.get("lat_p999")));
            results.put("latency.max", Double.parseDouble(r.get("lat_max")));
            results.put("latency.ack_p99", Double.parseDouble(r.get("ack_p99")));
            BenchContext.log("latency: %s samples, %s ids never seen applied", r.get("lat_count"), r.get("lat_unmatched"));
            awaitDrained(o, procs);
            stopAll(procs);
            o.requireExact("latency", expected);
            o.deleteNamespace();
        } finally {
            procs.forEach(Child::close);
        }
    }

    // ---------------------------------------------------------------- takeover

    void takeover(int run) throws IOException {
        String ns = ctx.namespace("takeover", run);
        double rate = ctx.steadyRate / 2;
        long[] expected = new long[Workload.COUNTERS];
        List<Child> procs = new ArrayList<>();
        Path stop = ctx.dir.resolve(ns + ".stop");
        try (Observer o = ctx.observer(ns)) {
            Child a = ctx.processor("ta", ns);
            Child b = ctx.processor("tb", ns);
            procs.add(a);
            procs.add(b);
            awaitBalanced(o, procs, "ta", "tb");
            Child prod = ctx.producer(ns + "-prod", ns, "--rate", Double.toString(rate), "--stop-file", stop.toString(),
                    "--seed", Integer.toString(5000 + run));
            while (o.progress().added() == 0) {
                prod.requireAlive();
                Sleep.ms(20);
            }
            // Backlog before the kill: the worst sample of the last seconds under load.
            double pre = 0;
            long until = System.nanoTime() + (long) (ctx.seconds(5, 3) * 1e9);
            while (System.nanoTime() < until) {
                pre = Math.max(pre, o.progress().backlog());
                Sleep.ms(50);
            }
            double threshold = Math.max(1.5 * pre, pre + 1000);
            b.kill();
            long t0 = System.nanoTime();
            double ownedMs = Double.NaN;
            double lagMs = Double.NaN;
            long deadline = t0 + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline && Double.isNaN(lagMs)) {
                long now = System.nanoTime();
                if (Double.isNaN(ownedMs) && o.allOwnedBy("ta")) {
                    ownedMs = (now - t0) / 1e6;
                }
                if (!Double.isNaN(ownedMs) && o.progress().backlog() <= threshold) {
                    lagMs = (System.nanoTime() - t0) / 1e6;
                }
                Sleep.ms(10);
            }
            BenchContext.log("takeover: backlog before kill %,.0f (threshold %,.0f); owned after %.0f ms, lag back after %.0f ms",
                    pre, threshold, ownedMs, lagMs);
            results.put("takeover.owned", ownedMs);
            results.put("takeover.lag", lagMs);
            procs.remove(b);
            b.close();
            // SIGTERM handoff: a new processor joins, then the old one is stopped gracefully.
            Child c = ctx.processor("tc", ns);
            procs.add(c);
            awaitBalanced(o, procs, "ta", "tc");
            Sleep.ms(1000);
            a.term();
            long t1 = System.nanoTime();
            double handoffMs = Double.NaN;
            deadline = t1 + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                if (o.allOwnedBy("tc")) {
                    handoffMs = (System.nanoTime() - t1) / 1e6;
                    break;
                }
                Sleep.ms(5);
            }
            results.put("takeover.handoff", handoffMs);
            a.await(30_000);
            procs.remove(a);
            Files.writeString(stop, "stop");
            ctx.finishProducer(prod, expected, 120_000);
            awaitDrained(o, procs);
            stopAll(procs);
            o.requireExact("takeover", expected);
            o.deleteNamespace();
        } finally {
            procs.forEach(Child::close);
        }
    }

    // ---------------------------------------------------------------- producer

    void producer(int run) {
        long n = ctx.count(1_000_000, 5_000);
        results.put("producer.plain", produce("producer", run, n, false));
        results.put("producer.idem", produce("producer-idem", run, n, true));
    }

    private double produce(String scenario, int run, long n, boolean idempotent) {
        String ns = ctx.namespace(scenario, run);
        try (Observer o = ctx.observer(ns)) {
            List<String> args = new ArrayList<>(List.of("--count", Long.toString(n), "--seed", Integer.toString(6000 + run)));
            if (idempotent) {
                args.add("--idempotent");
            }
            String[] jvm = ctx.jfr ? new String[]{"-XX:StartFlightRecording=filename=" + ctx.dir.resolve(ns + ".jfr")
                    + ",settings=profile"} : new String[0];
            Child prod = ctx.producer(ns + "-prod", ns, jvm, args.toArray(String[]::new));
            prod.sampleHeap();
            double cpu = 0;
            while (prod.alive()) {
                double c = prod.cpuSeconds();
                cpu = Double.isNaN(c) ? cpu : c; // the last reading before exit: nearly all of its CPU time
                Sleep.ms(100);
            }
            Map<String, String> r = ctx.finishProducer(prod, new long[Workload.COUNTERS], 600_000);
            results.put(idempotent ? "producer.idem_cpu_us" : "producer.plain_cpu_us", 1e6 * cpu / n);
            results.put("producer.heap", prod.maxHeapMb());
            long added = o.progress().added();
            if (added != n || Long.parseLong(r.get("ok")) != n) {
                throw new IllegalStateException(scenario + ": sent " + n + ", acknowledged " + r.get("ok")
                        + ", entries in the streams " + added);
            }
            o.deleteNamespace();
            return Double.parseDouble(r.get("rate"));
        }
    }

    // ---------------------------------------------------------------- baselines

    void baselines(int run) throws Exception {
        TallyConfig config = TallyConfig.builder().env(System.getenv()).set(TallyConfig.REDIS_URL, ctx.redisUrl).build();
        RedissonClient redis = RedisClientFactory.create(config);
        try {
            results.put("baseline.naive", naive(run, redis));
            results.put("baseline.bare", bare(run, redis));
        } finally {
            redis.shutdown();
        }
        double rb = redisBenchmark(run);
        if (!Double.isNaN(rb)) {
            results.put("baseline.redis_benchmark", rb);
        }
    }

    /** XREADGROUP COUNT 1 → HINCRBY → XACK, one entry at a time, partition after partition. */
    private double naive(int run, RedissonClient redis) {
        String ns = ctx.namespace("naive", run);
        long n = ctx.count(20_000, 500);
        long[] expected = new long[Workload.COUNTERS];
        ctx.prefill(ns, n, 7000 + run, expected);
        Keys keys = new Keys(ns);
        RedisStrictCommand<Long> hincrby = new RedisStrictCommand<>("HINCRBY");
        try (Observer o = ctx.observer(ns)) {
            createGroups(o, keys);
            long done = 0;
            long start = System.nanoTime();
            for (int p = 0; p < Workload.PARTITIONS; p++) {
                RStream<String, String> stream = redis.getStream(keys.ops(p), StringCodec.INSTANCE);
                String counters = keys.counters(p);
                while (true) {
                    Map<StreamMessageId, Map<String, String>> got = stream.readGroup(GROUP, "naive",
                            StreamReadGroupArgs.neverDelivered().count(1));
                    if (got == null || got.isEmpty()) {
                        break;
                    }
                    for (Map.Entry<StreamMessageId, Map<String, String>> e : got.entrySet()) {
                        Map<String, String> f = e.getValue();
                        long by = Long.parseLong(f.get("by"));
                        long delta = "decr".equals(f.get("op")) ? -by : by;
                        ((Redisson) redis).getCommandExecutor().writeAsync(counters, StringCodec.INSTANCE, hincrby,
                                counters, f.get("counter"), delta).toCompletableFuture().join();
                        stream.ack(GROUP, e.getKey());
                        done++;
                    }
                }
            }
            double rate = done / ((System.nanoTime() - start) / 1e9);
            o.requireExact("naive baseline", expected);
            o.deleteNamespace();
            return rate;
        }
    }

    /** XREADGROUP COUNT 500 → XACK of the ids read, nothing applied: the floor of any Redisson consumer. */
    private double bare(int run, RedissonClient redis) {
        String ns = ctx.namespace("bare", run);
        long n = ctx.count(500_000, 5_000);
        ctx.prefill(ns, n, 8000 + run, new long[Workload.COUNTERS]);
        Keys keys = new Keys(ns);
        try (Observer o = ctx.observer(ns)) {
            createGroups(o, keys);
            List<RStream<String, String>> streams = new ArrayList<>();
            for (int p = 0; p < Workload.PARTITIONS; p++) {
                streams.add(redis.getStream(keys.ops(p), StringCodec.INSTANCE));
            }
            long done = 0;
            long start = System.nanoTime();
            boolean any = true;
            while (any) {
                any = false;
                for (RStream<String, String> stream : streams) {
                    Map<StreamMessageId, Map<String, String>> got = stream.readGroup(GROUP, "bare",
                            StreamReadGroupArgs.neverDelivered().count(500));
                    if (got != null && !got.isEmpty()) {
                        stream.ack(GROUP, got.keySet().toArray(StreamMessageId[]::new));
                        done += got.size();
                        any = true;
                    }
                }
            }
            double rate = done / ((System.nanoTime() - start) / 1e9);
            Observer.Progress p = o.progress();
            if (done != n || p.backlog() != 0) {
                throw new IllegalStateException("bare baseline: read " + done + " of " + n + ", backlog left " + p.backlog());
            }
            o.deleteNamespace();
            return rate;
        }
    }

    private static void createGroups(Observer o, Keys keys) {
        for (int p = 0; p < Workload.PARTITIONS; p++) {
            o.resp.send("XGROUP", "CREATE", keys.ops(p), GROUP, "0", "MKSTREAM");
        }
        o.resp.flush();
        for (int p = 0; p < Workload.PARTITIONS; p++) {
            o.resp.read();
        }
    }

    /** {@code redis-benchmark -P 128 XADD} with 4 fields on a key of the bench's own; NaN when not possible. */
    private double redisBenchmark(int run) throws Exception {
        String password = System.getenv("TALLY_REDIS_PASSWORD");
        if (password != null && !password.isEmpty()) {
            BenchContext.log("redis-benchmark skipped: it would need the password on its command line");
            return Double.NaN;
        }
        String ns = ctx.namespace("rb", run);
        String key = new Keys(ns).ops(0);
        java.net.URI uri = java.net.URI.create(ctx.redisUrl);
        long n = ctx.count(2_000_000, 20_000);
        List<String> cmd = List.of("redis-benchmark", "-h", uri.getHost(), "-p", Integer.toString(uri.getPort()),
                "-P", "128", "-n", Long.toString(n), "-q", "XADD", key, "*", "op", "incr", "counter", "c1", "by", "1",
                "ts", "1700000000000");
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            BenchContext.log("redis-benchmark not found: %s", e.getMessage());
            return Double.NaN;
        }
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(300, TimeUnit.SECONDS);
        try (Resp resp = new Resp(ctx.redisUrl)) {
            resp.call("UNLINK", key);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9.]+) requests per second").matcher(out);
        double rate = Double.NaN;
        while (m.find()) {
            rate = Double.parseDouble(m.group(1));
        }
        if (Double.isNaN(rate)) {
            BenchContext.log("redis-benchmark printed no rate: %s", out.strip());
        }
        return rate;
    }

    // ---------------------------------------------------------------- memory

    void memory(int run, double steadySeconds) {
        String ns = ctx.namespace("memory", run);
        long n = ctx.count(200_000, 2_000);
        Keys keys = new Keys(ns);
        try (Observer o = ctx.observer(ns)) {
            Sleep.ms(200);
            long m0 = o.resp.usedMemory();
            ctx.prefill(ns, n, 9000 + run, new long[Workload.COUNTERS]);
            long m1 = o.resp.usedMemory();
            createGroups(o, keys);
            for (int p = 0; p < Workload.PARTITIONS; p++) {
                while (true) {
                    Object r = o.resp.call("XREADGROUP", "GROUP", GROUP, "mem", "COUNT", "1000", "STREAMS", keys.ops(p), ">");
                    if (r == null) {
                        break;
                    }
                }
            }
            long m2 = o.resp.usedMemory();
            results.put("memory.backlog_entry", (m1 - m0) / (double) n);
            results.put("memory.pending_entry", (m2 - m1) / (double) n);
            o.deleteNamespace();
        }
        flatMemory(run, steadySeconds);
    }

    /** One processor at half the steady rate with retention on; used_memory sampled every second. */
    private void flatMemory(int run, double seconds) {
        String ns = ctx.namespace("memflat", run);
        long[] expected = new long[Workload.COUNTERS];
        List<Child> procs = new ArrayList<>();
        try (Observer o = ctx.observer(ns)) {
            procs.add(ctx.processor("m1", ns));
            awaitBalanced(o, procs, "m1");
            Child prod = ctx.producer(ns + "-prod", ns, "--rate", Double.toString(ctx.steadyRate / 2),
                    "--seconds", Double.toString(seconds), "--seed", Integer.toString(9500 + run));
            List<Long> mem = new ArrayList<>();
            while (prod.alive()) {
                mem.add(o.resp.usedMemory());
                Sleep.ms(1000);
            }
            ctx.finishProducer(prod, expected, 120_000);
            int third = Math.max(1, mem.size() / 3);
            double first = mem.subList(0, third).stream().mapToLong(Long::longValue).max().orElse(0) / 1048576.0;
            double last = mem.subList(mem.size() - third, mem.size()).stream().mapToLong(Long::longValue).max().orElse(0)
                    / 1048576.0;
            results.put("memory.steady_first", first);
            results.put("memory.steady_last", last);
            results.put("memory.flat", last <= 1.25 * first ? 1 : 0);
            awaitDrained(o, procs);
            stopAll(procs);
            o.requireExact("memory", expected);
            o.deleteNamespace();
        } finally {
            procs.forEach(Child::close);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static void awaitBalanced(Observer o, List<Child> procs, String... ids) {
        long deadline = System.currentTimeMillis() + 90_000;
        while (!o.balancedOver(ids)) {
            procs.forEach(Child::requireAlive);
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("partitions not leased to " + String.join(", ", ids) + " within 90 s");
            }
            Sleep.ms(20);
        }
    }

    private static void awaitDrained(Observer o, List<Child> procs) {
        long deadline = System.currentTimeMillis() + 300_000;
        while (!o.drained()) {
            procs.forEach(Child::requireAlive);
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("not drained within 300 s");
            }
            Sleep.ms(20);
        }
    }

    private static void stopAll(List<Child> procs) {
        procs.forEach(Child::term);
        for (Child c : procs) {
            int code = c.await(30_000);
            if (code != 0 && code != 143) { // 143 = 128 + SIGTERM: the JVM's code after its shutdown hooks ran
                throw new IllegalStateException(c.name + " exited with " + code + " on SIGTERM:\n" + c.tail());
            }
        }
    }
}
