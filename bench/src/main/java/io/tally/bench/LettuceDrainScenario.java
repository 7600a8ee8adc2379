package io.tally.bench;

import io.tally.processor.internal.worker.HotPathSpike;

import java.lang.management.ManagementFactory;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Scenario {@code lettuce-drain} (asked for by name; a decision spike): would a hot path on Lettuce,
 * which brings Cluster's slot map, redirections and failover, cost the processor about what its own
 * direct RESP client does? The same pre-filled backlog (as drain's, same seed) is drained in this JVM by
 * {@link HotPathSpike} once over the direct client and once over Lettuce, in alternating order from
 * run to run after one unmeasured warm-up of each; each drain's counters are checked exactly. The
 * figures: wall time, entries/s, this process's CPU per applied entry and Redis's.
 */
final class LettuceDrainScenario implements Scenario {
    private static final long TIMEOUT_MS = 600_000;
    private static boolean warmedUp;

    private final BenchContext ctx;
    private final Results results;

    LettuceDrainScenario(BenchContext ctx) {
        this.ctx = ctx;
        this.results = ctx.results;
    }

    /** One drain's figures. */
    private record Figures(long entries, double seconds, double processCpu, double redisCpu) {
        double rate() {
            return entries / seconds;
        }

        double processUsPerEntry() {
            return 1e6 * processCpu / entries;
        }

        double redisUsPerEntry() {
            return 1e6 * redisCpu / entries;
        }
    }

    @Override
    public void run(int run) throws Exception {
        if (!warmedUp) {
            long warm = ctx.count(200_000, 1_000);
            for (HotPathSpike.Client client : HotPathSpike.Client.values()) {
                Figures w = drain(client, run, warm, 7 + run);
                BenchContext.log("lettuce-drain: warm-up %s, %,d entries at %,.0f/s", client, warm, w.rate());
            }
            warmedUp = true;
        }
        long n = ctx.count(1_000_000, 2_000);
        List<HotPathSpike.Client> order = run % 2 == 1 ? List.of(HotPathSpike.Client.DIRECT, HotPathSpike.Client.LETTUCE)
                : List.of(HotPathSpike.Client.LETTUCE, HotPathSpike.Client.DIRECT);
        Map<HotPathSpike.Client, Figures> figures = new EnumMap<>(HotPathSpike.Client.class);
        for (HotPathSpike.Client client : order) {
            figures.put(client, drain(client, run, n, 1000 + run));
        }
        Figures direct = figures.get(HotPathSpike.Client.DIRECT);
        Figures lettuce = figures.get(HotPathSpike.Client.LETTUCE);
        System.out.println(table(run, order, direct, lettuce));
        results.put("lettuce_drain.direct_ops", direct.rate());
        results.put("lettuce_drain.lettuce_ops", lettuce.rate());
        results.put("lettuce_drain.direct_proc_us", direct.processUsPerEntry());
        results.put("lettuce_drain.lettuce_proc_us", lettuce.processUsPerEntry());
        results.put("lettuce_drain.ratio_proc_us", lettuce.processUsPerEntry() / direct.processUsPerEntry());
        results.put("lettuce_drain.direct_redis_us", direct.redisUsPerEntry());
        results.put("lettuce_drain.lettuce_redis_us", lettuce.redisUsPerEntry());
    }

    /** Pre-fills a namespace with {@code n} entries, drains it over {@code client} and checks every counter. */
    private Figures drain(HotPathSpike.Client client, int run, long n, long seed) throws InterruptedException {
        String ns = ctx.namespace("lettuce-drain-" + client.name().toLowerCase(Locale.ROOT), run);
        long[] expected = new long[Workload.COUNTERS];
        ctx.prefill(ns, n, seed, expected);
        try (Observer o = ctx.observer(ns); HotPathSpike spike = HotPathSpike.open(client, ctx.redisUrl, ns,
                Workload.PARTITIONS)) {
            System.gc(); // the pre-fill's garbage is not the drain's
            double redis0 = o.redisCpuSeconds();
            long cpu0 = processCpuNanos();
            long t0 = System.nanoTime();
            long applied = spike.drain(n, TIMEOUT_MS);
            long t1 = System.nanoTime();
            long cpu1 = processCpuNanos();
            double redis1 = o.redisCpuSeconds();
            if (applied != n) {
                throw new IllegalStateException("lettuce-drain " + client + ": applied " + applied + " of " + n);
            }
            o.requireExact("lettuce-drain " + client, expected);
            o.deleteNamespace();
            return new Figures(n, (t1 - t0) / 1e9, (cpu1 - cpu0) / 1e9, redis1 - redis0);
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static String table(int run, List<HotPathSpike.Client> order, Figures direct, Figures lettuce) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%nlettuce-drain, run %d: %,d entries, %d partitions, %,d counters (order: %s)%n",
                run, direct.entries(), Workload.PARTITIONS, Workload.COUNTERS, order));
        sb.append("| metric | direct | lettuce | lettuce / direct |\n| --- | ---: | ---: | ---: |\n");
        row(sb, "wall time, s", direct.seconds(), lettuce.seconds());
        row(sb, "entries/s", direct.rate(), lettuce.rate());
        row(sb, "process CPU, s", direct.processCpu(), lettuce.processCpu());
        row(sb, "process CPU per applied entry, us", direct.processUsPerEntry(), lettuce.processUsPerEntry());
        row(sb, "Redis CPU per applied entry, us", direct.redisUsPerEntry(), lettuce.redisUsPerEntry());
        row(sb, "process CPU, % of a core", 100 * direct.processCpu() / direct.seconds(),
                100 * lettuce.processCpu() / lettuce.seconds());
        return sb.toString();
    }

    private static void row(StringBuilder sb, String label, double direct, double lettuce) {
        sb.append(String.format(Locale.ROOT, "| %s | %,.2f | %,.2f | %.3f |%n", label, direct, lettuce, lettuce / direct));
    }
}
