package io.tally.bench;

import io.tally.common.internal.keys.Keys;

import java.util.ArrayList;
import java.util.List;

/**
 * Scenario {@code memory}: Redis bytes per backlog entry and per pending entry, then one processor at
 * half the steady rate with retention on, {@code used_memory} sampled every second, which must stay
 * flat.
 */
final class MemoryScenario implements Scenario {
    private final BenchContext ctx;
    private final Results results;

    MemoryScenario(BenchContext ctx) {
        this.ctx = ctx;
        this.results = ctx.results;
    }

    @Override
    public void run(int run) {
        perEntry(run);
        flat(run, ctx.memorySeconds());
    }

    /** used_memory before and after a pre-fill, and after every entry was read into the pending lists. */
    private void perEntry(int run) {
        String ns = ctx.namespace("memory", run);
        long n = ctx.count(200_000, 2_000);
        Keys keys = ctx.keys(ns);
        try (Observer o = ctx.observer(ns)) {
            Sleep.ms(200);
            long m0 = o.usedMemory();
            ctx.prefill(ns, n, 9000 + run, new long[Workload.COUNTERS]);
            long m1 = o.usedMemory();
            o.createGroups();
            for (int p = 0; p < Workload.PARTITIONS; p++) {
                while (true) {
                    Object r = o.redis.call("XREADGROUP", "GROUP", Keys.GROUP, "mem", "COUNT", "1000", "STREAMS",
                            keys.ops(p), ">");
                    if (r == null) {
                        break;
                    }
                }
            }
            long m2 = o.usedMemory();
            results.put("memory.backlog_entry", (m1 - m0) / (double) n);
            results.put("memory.pending_entry", (m2 - m1) / (double) n);
            o.deleteNamespace();
        }
    }

    /** One processor at half the steady rate with retention on; used_memory sampled every second. */
    private void flat(int run, double seconds) {
        String ns = ctx.namespace("memflat", run);
        long[] expected = new long[Workload.COUNTERS];
        List<Child> procs = new ArrayList<>();
        try (Observer o = ctx.observer(ns)) {
            procs.add(ctx.processor("m1", ns));
            o.awaitBalanced(procs, "m1");
            Child prod = ctx.producer(ns + "-prod", ns, "--rate", Double.toString(ctx.steadyRate / 2),
                    "--seconds", Double.toString(seconds), "--seed", Integer.toString(9500 + run));
            List<Long> mem = new ArrayList<>();
            while (prod.alive()) {
                mem.add(o.usedMemory());
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
            o.requireDrained(procs);
            Child.stopAll(procs);
            o.requireExact("memory", expected);
            o.deleteNamespace();
        } finally {
            procs.forEach(Child::close);
        }
    }
}
