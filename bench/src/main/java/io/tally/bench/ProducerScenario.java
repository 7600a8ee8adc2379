package io.tally.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Scenario {@code producer}: one producer process sends as fast as it can, without and then with
 * idempotence, no processor running; its rate, CPU per send and peak heap.
 */
final class ProducerScenario implements Scenario {
    private final BenchContext ctx;
    private final Results results;

    ProducerScenario(BenchContext ctx) {
        this.ctx = ctx;
        this.results = ctx.results;
    }

    @Override
    public void run(int run) {
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
            Child prod = ctx.producer(ns + "-prod", ns, ctx.jfrFlags(ns), args.toArray(String[]::new));
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
}
