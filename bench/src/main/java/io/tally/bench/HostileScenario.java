package io.tally.bench;

import io.tally.common.config.TallyConfig;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.SendResult;
import io.tally.producer.TallyException;
import io.tally.producer.Tally;
import io.tally.testkit.chaos.ChaosClient;
import io.tally.testkit.chaos.ChaosRun;
import io.tally.testkit.chaos.ChaosRun.Fault;
import io.tally.testkit.chaos.HostileChaos;
import io.tally.testkit.chaos.ValidTraffic;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * Scenario {@code hostile} (issue 16), on the test kit's {@link HostileChaos} driver that
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
                ProducerClient::open, new Random(), line -> BenchContext.log("hostile: %s", line));
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

    /** The chaos run's view of the producer library and its trigger client. */
    private record ProducerClient(Tally tally) implements ChaosClient {
        static ProducerClient open(String redisUrl, String namespace, int partitions) {
            TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, redisUrl)
                    .set(TallyConfig.NAMESPACE, namespace).set(TallyConfig.PARTITIONS, partitions)
                    .set(TallyConfig.SEND_TIMEOUT_MS, 3000L).set(TallyConfig.REDIS_TIMEOUT_MS, 1000).build();
            return new ProducerClient(Tally.connect(config));
        }

        @Override
        public CompletableFuture<String> send(CounterOp op) {
            return tally.producer().send(op).thenApply(SendResult::entryId);
        }

        @Override
        public CompletableFuture<String> emit(Event event) {
            return tally.producer().emit(event).thenApply(SendResult::entryId);
        }

        @Override
        public String createTrigger(TriggerDefinition definition) {
            return tally.triggers().create(definition).id();
        }

        @Override
        public boolean retriable(Throwable cause) {
            return cause instanceof OutcomeUnknownException || (cause instanceof TallyException t && t.retriable());
        }

        @Override
        public void close() {
            tally.close();
        }
    }
}
