package io.tally.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Scenario {@code producer}: one producer process sends as fast as it can, no processor running; its
 * rate, CPU per send and peak heap, three times: plain appends (producer-idempotence off), the default
 * (producer sessions: a retried send is written once), and every send with an operation id.
 */
final class ProducerScenario implements Scenario {
    private final BenchContext ctx;
    private final Results results;

    ProducerScenario(BenchContext ctx) {
        this.ctx = ctx;
        this.results = ctx.results;
    }

    /** How the sends are made, and the results key of each. */
    private enum Mode {
        PLAIN("producer.plain", Map.of("TALLY_PRODUCER_IDEMPOTENCE", "false"), false),
        SESSIONS("producer.session", Map.of(), false),
        OPERATION_IDS("producer.idem", Map.of(), true);

        final String key;
        final Map<String, String> env;
        final boolean ids;

        Mode(String key, Map<String, String> env, boolean ids) {
            this.key = key;
            this.env = env;
            this.ids = ids;
        }
    }

    @Override
    public void run(int run) {
        long n = ctx.count(1_000_000, 5_000);
        for (Mode mode : Mode.values()) {
            results.put(mode.key, produce(mode, run, n));
        }
    }

    private double produce(Mode mode, int run, long n) {
        String scenario = "producer-" + mode.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        String ns = ctx.namespace(scenario, run);
        try (Observer o = ctx.observer(ns)) {
            List<String> args = new ArrayList<>(List.of("--count", Long.toString(n), "--seed", Integer.toString(6000 + run)));
            if (mode.ids) {
                args.add("--idempotent");
            }
            Child prod = ctx.producer(ns + "-prod", ns, mode.env, ctx.jfrFlags(ns), args.toArray(String[]::new));
            prod.sampleHeap();
            double cpu = 0;
            while (prod.alive()) {
                double c = prod.cpuSeconds();
                cpu = Double.isNaN(c) ? cpu : c; // the last reading before exit: nearly all of its CPU time
                Sleep.ms(100);
            }
            Map<String, String> r = ctx.finishProducer(prod, new long[Workload.COUNTERS], 600_000);
            results.put(mode.key + "_cpu_us", 1e6 * cpu / n);
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
