package io.tally.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Scenario {@code takeover}: two processors under load at half the steady rate. One is SIGKILLed: how
 * long until the other owns every partition, and until the backlog is back to its level before the
 * kill. Then a new processor joins and the survivor is stopped with SIGTERM: how long the graceful
 * handoff of its partitions takes.
 */
final class TakeoverScenario implements Scenario {
    private final BenchContext ctx;
    private final Results results;

    TakeoverScenario(BenchContext ctx) {
        this.ctx = ctx;
        this.results = ctx.results;
    }

    @Override
    public void run(int run) throws IOException {
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
            o.awaitBalanced(procs, "ta", "tb");
            Child prod = ctx.producer(ns + "-prod", ns, "--rate", Double.toString(rate), "--stop-file", stop.toString(),
                    "--seed", Integer.toString(5000 + run));
            while (o.progress().added() == 0) {
                prod.requireAlive();
                Sleep.ms(20);
            }
            measureKill(o, b, "ta");
            procs.remove(b);
            b.close();
            measureHandoff(o, procs, a, ns);
            Files.writeString(stop, "stop");
            ctx.finishProducer(prod, expected, 120_000);
            o.requireDrained(procs);
            Child.stopAll(procs);
            o.requireExact("takeover", expected);
            o.deleteNamespace();
        } finally {
            procs.forEach(Child::close);
        }
    }

    /** SIGKILLs {@code victim} and measures until {@code survivor} owns everything and the backlog is back. */
    private void measureKill(Observer o, Child victim, String survivor) {
        // Backlog before the kill: the worst sample of the last seconds under load.
        double pre = 0;
        long until = System.nanoTime() + (long) (ctx.seconds(5, 3) * 1e9);
        while (System.nanoTime() < until) {
            pre = Math.max(pre, o.progress().backlog());
            Sleep.ms(50);
        }
        double threshold = Math.max(1.5 * pre, pre + 1000);
        victim.kill();
        long t0 = System.nanoTime();
        double ownedMs = Double.NaN;
        double lagMs = Double.NaN;
        long deadline = t0 + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && Double.isNaN(lagMs)) {
            long now = System.nanoTime();
            if (Double.isNaN(ownedMs) && o.allOwnedBy(survivor)) {
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
    }

    /** SIGTERM handoff: a new processor joins, then {@code ta} is stopped gracefully and leaves {@code procs}. */
    private void measureHandoff(Observer o, List<Child> procs, Child ta, String ns) {
        Child c = ctx.processor("tc", ns);
        procs.add(c);
        o.awaitBalanced(procs, "ta", "tc");
        Sleep.ms(1000);
        ta.term();
        long t1 = System.nanoTime();
        double handoffMs = Double.NaN;
        long deadline = t1 + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (o.allOwnedBy("tc")) {
                handoffMs = (System.nanoTime() - t1) / 1e6;
                break;
            }
            Sleep.ms(5);
        }
        results.put("takeover.handoff", handoffMs);
        ta.await(30_000);
        procs.remove(ta);
    }
}
