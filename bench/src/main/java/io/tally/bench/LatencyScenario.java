package io.tally.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Scenario {@code latency}: one processor at half the steady rate; the producer measures the time from
 * each entry's id to the checkpoint first seen at or past it, and its own acknowledgment latency.
 */
final class LatencyScenario implements Scenario {
    /** Seconds of the latency run not recorded, at scale 1. */
    private static final double LATENCY_WARMUP_S = 15;

    private final BenchContext ctx;
    private final Results results;

    LatencyScenario(BenchContext ctx) {
        this.ctx = ctx;
        this.results = ctx.results;
    }

    @Override
    public void run(int run) {
        String ns = ctx.namespace("latency", run);
        double rate = ctx.steadyRate / 2;
        long[] expected = new long[Workload.COUNTERS];
        List<Child> procs = new ArrayList<>();
        try (Observer o = ctx.observer(ns)) {
            procs.add(ctx.processor("l1", ns));
            o.awaitBalanced(procs, "l1");
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
            o.requireDrained(procs);
            Child.stopAll(procs);
            o.requireExact("latency", expected);
            o.deleteNamespace();
        } finally {
            procs.forEach(Child::close);
        }
    }
}
