package io.tally.bench;










import io.tally.testkit.chaos.ChaosRun;
import io.tally.testkit.chaos.ChaosRun.Fault;
import io.tally.testkit.chaos.HostileChaos;
import io.tally.testkit.chaos.ValidTraffic;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;


/**
 * Scenario {@code hostile}, on the test kit's {@link HostileChaos} driver that
 * {@code HostileChaosTest} runs at CI size: valid traffic with every send carrying an id, the hostile
 * entries of {@link io.tally.testkit.chaos.HostileCatalogue} XADDed raw into the partition streams,
 * processors SIGKILLed and SIGSTOPped past their lease, Redis restarted (AOF {@code appendfsync always}),
 * and an entry with an id ten years ahead at the end; then every counter, 1m bucket, firing and dead
 * letter is checked exactly. With {@code --redis-url} the scenario cannot restart Redis and says so.
 */
final class HostileScenario implements Scenario {
    private static final int PROCESSORS = 3;
    private static final int LEASE_TTL_MS = 3000;

    private final BenchContext ctx;

    HostileScenario(BenchContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void run(int run) {
        String namespace = ctx.namespace("hostile", run);
        if (!ctx.ownsRedis) {
            BenchContext.log("hostile: --redis-url was given, so this run cannot restart Redis: Redis restarts are skipped");
        }
        int leaseTtlMs = ctx.leaseTtlMs > 0 ? ctx.leaseTtlMs : LEASE_TTL_MS;
        HostileChaos.Processors processors = new HostileChaos.Processors(PROCESSORS,
                List.of("--lease-ttl-ms", Integer.toString(leaseTtlMs)), ctx.dir);
        ChaosRun.Report report = HostileChaos.run(settings(namespace, run, leaseTtlMs), processors,
                ProducerChaosClient::open, new Random(), line -> BenchContext.log("hostile: %s", line));
        record(report);
        if (!report.mismatches().isEmpty()) {
            List<String> shown = report.mismatches().subList(0, Math.min(40, report.mismatches().size()));
            throw new AssertionError(report.mismatches().size() + " mismatches:\n  " + String.join("\n  ", shown));
        }
    }

    /** On a Redis of the run's own (null URL) unless the bench was given one. */
    private ChaosRun.Settings settings(String namespace, int run, int leaseTtlMs) {
        double seconds = ctx.seconds(120, 20);
        List<Fault> faults = new ArrayList<>();
        for (int cycle = 0; cycle < Math.max(1, Math.round(seconds / 40)); cycle++) {
            faults.addAll(List.of(Fault.KILL, Fault.STOP, Fault.RESTART_REDIS));
        }
        ValidTraffic.Plan plan = new ValidTraffic.Plan((int) ctx.count(200, 20), (int) ctx.count(40, 6),
                (int) ctx.count(5, 2), (int) ctx.count(10, 3), ctx.count(2000, 300), run);
        long stopMs = 4L * leaseTtlMs / 3;
        return new ChaosRun.Settings(ctx.ownsRedis ? null : ctx.redisUrl, namespace, Workload.PARTITIONS,
                (long) (seconds * 1000), faults, stopMs, plan, true, 60_000);
    }

    private void record(ChaosRun.Report r) {
        Results results = ctx.results;
        results.put("hostile.acked", r.validAcked());
        results.put("hostile.retried", r.retried());
        results.put("hostile.entries", r.hostileEntries());
        results.put("hostile.dead", r.deadLetters());
        results.put("hostile.firings", r.firings());
        results.put("hostile.replays", r.firingReplays());
        results.put("hostile.faults", r.kills() + r.stops() + r.redisRestarts());
        results.put("hostile.drain", r.drainMs());
        results.put("hostile.mismatches", r.mismatches().size());
    }
}
