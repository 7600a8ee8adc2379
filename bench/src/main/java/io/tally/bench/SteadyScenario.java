package io.tally.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Scenario {@code steady}, with one processor and then with two: finds the highest rate the processors
 * keep up with (backlog bounded), then holds it for the steady period. One processor's rate is the
 * full rate of the latency, takeover and memory scenarios, which use half of it.
 */
final class SteadyScenario implements Scenario {
    /** Steady rates tried, from the calibrated capacity down in steps of 10 %. */
    private static final int STEADY_TRIES = 4;

    private final BenchContext ctx;
    private final Results results;

    SteadyScenario(BenchContext ctx) {
        this.ctx = ctx;
        this.results = ctx.results;
    }

    @Override
    public void run(int run) {
        steady(run, 1);
        steady(run, 2);
    }

    private void steady(int run, int processors) {
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
            o.awaitBalanced(procs, ids);
            double capacity = calibrate(o, procs, key, run, expected);
            double rate = holdHighestBoundedRate(o, procs, key, run, capacity, expected);
            if (processors == 1) {
                ctx.steadyRate = rate;
            }
            Child.stopAll(procs);
            o.requireExact(key, expected);
            o.deleteNamespace();
        } finally {
            procs.forEach(Child::close);
        }
    }

    /**
     * Offers more than anyone can take and measures what goes in and out; whichever side is slower
     * (the producer process or the processors) sets the rate to try first.
     */
    private double calibrate(Observer o, List<Child> procs, String key, int run, long[] expected) {
        String ns = o.keys.namespace();
        double calSeconds = ctx.seconds(10, 3);
        Child cal = ctx.producer(ns + "-cal", ns, "--rate", "400000", "--seconds", Double.toString(calSeconds),
                "--seed", Integer.toString(2000 + run));
        double[] calRates = rates(o, cal, 0.3);
        ctx.finishProducer(cal, expected, 120_000);
        o.requireDrained(procs);
        results.put(key + ".cal_in", calRates[0]);
        results.put(key + ".cal_out", calRates[1]);
        double rate = Math.min(calRates[0], calRates[1]);
        BenchContext.log("%s: calibration in %,.0f/s out %,.0f/s; trying %,.0f/s", key, calRates[0], calRates[1], rate);
        return rate;
    }

    /**
     * The highest rate that keeps the lag bounded: the capacity the calibration saw, then 10 % less per
     * try that does not hold. Returns the rate the tries ended on.
     */
    private double holdHighestBoundedRate(Observer o, List<Child> procs, String key, int run, double capacity,
                                          long[] expected) {
        String ns = o.keys.namespace();
        double rate = capacity;
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
            o.requireDrained(procs);
            if (bounded) {
                break;
            }
            rate *= 0.9;
        }
        results.put(key + ".in", measured[0]);
        results.put(key + ".out", measured[1]);
        results.put(key + ".bounded", bounded ? 1 : 0);
        return rate;
    }

    /**
     * Samples progress every 250 ms while the producer runs and returns, over the samples after the
     * first {@code skip} fraction of its sending time: {in/s, out/s, bounded (1/0), backlog max first
     * half, backlog max second half}.
     */
    private static double[] rates(Observer o, Child producer, double skip) {
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
}
