package io.tally.bench;

import io.tally.testkit.RawRedis;

import java.io.IOException;
import java.nio.file.Files;

/**
 * Scenario {@code drain}: one processor applies a pre-filled backlog; its rate, and the CPU it and
 * Redis spend per applied entry, timed from the first applied batch so the JVM's start-up is not
 * counted. With a Redis of its own the bench also keeps Redis's command statistics of the run.
 */
final class DrainScenario implements Scenario {
    private final BenchContext ctx;
    private final Results results;

    DrainScenario(BenchContext ctx) {
        this.ctx = ctx;
        this.results = ctx.results;
    }

    @Override
    public void run(int run) throws IOException {
        String ns = ctx.namespace("drain", run);
        long n = ctx.count(2_000_000, 2_000);
        long[] expected = new long[Workload.COUNTERS];
        double fillRate = ctx.prefill(ns, n, 1000 + run, expected);
        BenchContext.log("drain: pre-filled %,d entries at %,.0f/s", n, fillRate);
        try (Observer o = ctx.observer(ns)) {
            if (ctx.ownsRedis) {
                o.redis.call("CONFIG", "RESETSTAT");
                o.redis.call("SLOWLOG", "RESET");
                o.redis.call("LATENCY", "RESET");
                o.redis.call("CONFIG", "SET", "latency-monitor-threshold", "5");
            }
            try (Child proc = ctx.processor("d1", ns, ctx.jfrFlags(ns))) {
                proc.sampleHeap();
                measure(o, proc, n);
                if (ctx.cluster != null) {
                    // the processor's direct hot path keeps a named connection to each master
                    BenchContext.log("drain: masters with the processor's direct hot-path connection: %d of %d",
                            o.nodesWithClient("tally-hot:"), ctx.cluster.masters().size());
                }
                if (ctx.ownsRedis) {
                    Files.writeString(ctx.dir.resolve(ns + "-commandstats.txt"), redisStats(o.redis));
                }
                proc.term();
                proc.await(30_000);
            }
            o.requireExact("drain", expected);
            o.deleteNamespace();
        }
    }

    /** Waits for the first applied batch, then measures until the backlog of {@code n} entries is drained. */
    private void measure(Observer o, Child proc, long n) {
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
        double redis0 = o.redisCpuSeconds();
        if (!o.awaitDrained(Math.max(120_000, n / 10))) {
            throw new IllegalStateException("drain: not drained in time:\n" + proc.tail());
        }
        long t1 = System.nanoTime();
        double seconds = (t1 - p0.nanos()) / 1e9;
        double cpu1 = proc.cpuSeconds();
        double redis1 = o.redisCpuSeconds();
        long applied = n - p0.applied();
        results.put("drain.ops", applied / seconds);
        results.put("drain.proc_cpu", 100 * (cpu1 - cpu0) / seconds);
        results.put("drain.redis_cpu", 100 * (redis1 - redis0) / seconds);
        results.put("drain.proc_us_per_op", 1e6 * (cpu1 - cpu0) / applied);
        results.put("drain.redis_us_per_op", 1e6 * (redis1 - redis0) / applied);
        Sleep.ms(600); // one more jstat sample
        results.put("drain.proc_heap", proc.maxHeapMb());
        results.put("drain.proc_rss", proc.peakRssMb());
    }

    private static String redisStats(RawRedis redis) {
        return RawRedis.text(redis.call("INFO", "commandstats"))
                + "\n# SLOWLOG GET 10\n" + RawRedis.text(redis.call("SLOWLOG", "GET", "10"))
                + "\n# LATENCY LATEST\n" + RawRedis.text(redis.call("LATENCY", "LATEST"));
    }
}
