package io.tally.bench;

import io.tally.processor.internal.apply.HotPathSpike;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Scenario {@code lettuce-drain} (asked for by name; a decision spike): would a hot path on Lettuce,
 * which brings Cluster's slot map, redirections and failover, cost the processor about what its own
 * direct RESP client does? The same pre-filled backlog (drain's workload and seed, 1,000,000
 * entries) is drained by {@link HotPathSpike} once over the direct client and once over Lettuce, each
 * in a child process of its own ({@link HotPathSpikeMain}, after an unmeasured warm-up drain), in
 * alternating order from run to run; every counter is checked exactly. The figures: wall time,
 * entries/s, the child's CPU per applied entry and Redis's.
 */
final class LettuceDrainScenario implements Scenario {
    private static final long TIMEOUT_MS = 900_000;

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
    public void run(int run) {
        long n = ctx.count(1_000_000, 2_000);
        long warm = ctx.count(200_000, 1_000);
        List<HotPathSpike.Client> order = run % 2 == 1 ? List.of(HotPathSpike.Client.DIRECT, HotPathSpike.Client.LETTUCE)
                : List.of(HotPathSpike.Client.LETTUCE, HotPathSpike.Client.DIRECT);
        Map<HotPathSpike.Client, Figures> figures = new EnumMap<>(HotPathSpike.Client.class);
        for (HotPathSpike.Client client : order) {
            figures.put(client, drain(client, run, warm, n));
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

    /**
     * Pre-fills a warm-up namespace and the measured one (drain's seed), has a child process drain both
     * over {@code client}, and checks every counter of both.
     */
    private Figures drain(HotPathSpike.Client client, int run, long warm, long n) {
        String name = client.name().toLowerCase(Locale.ROOT);
        String warmNs = ctx.namespace("lettuce-drain-warm-" + name, run);
        long[] warmExpected = new long[Workload.COUNTERS];
        ctx.prefill(warmNs, warm, 7 + run, warmExpected);
        String ns = ctx.namespace("lettuce-drain-" + name, run);
        long[] expected = new long[Workload.COUNTERS];
        ctx.prefill(ns, n, 1000 + run, expected);
        Path out = ctx.dir.resolve(ns + ".out");
        List<String> cmd = new ArrayList<>(Child.java(ctx.jfrFlags(ns))); // --jfr: a profile of each child
        cmd.addAll(List.of("-cp", Child.classpath(), HotPathSpikeMain.class.getName(), name, ctx.redisUrl, warmNs,
                Long.toString(warm), ns, Long.toString(n), out.toString()));
        try (Child child = Child.start(ns, cmd, ctx.dir)) {
            int code = child.await(TIMEOUT_MS);
            if (code != 0) {
                throw new IllegalStateException("lettuce-drain " + name + " exited with " + code + ":\n" + child.tail());
            }
        }
        for (String namespace : List.of(warmNs, ns)) {
            try (Observer o = ctx.observer(namespace)) {
                o.requireExact("lettuce-drain " + name + " (" + namespace + ")", namespace.equals(ns) ? expected : warmExpected);
                o.deleteNamespace();
            }
        }
        Map<String, String> r = read(out);
        return new Figures(n, Double.parseDouble(r.get("seconds")), Double.parseDouble(r.get("process_cpu")),
                Double.parseDouble(r.get("redis_cpu")));
    }

    private static Map<String, String> read(Path file) {
        Map<String, String> map = new HashMap<>();
        try {
            for (String line : Files.readAllLines(file)) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    map.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the lettuce-drain child wrote no result to " + file, e);
        }
        return map;
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
