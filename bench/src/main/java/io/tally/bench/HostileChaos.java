package io.tally.bench;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyException;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.producer.triggers.TriggerClient;
import io.tally.testkit.RedisServer;
import io.tally.testkit.chaos.ChaosClient;
import io.tally.testkit.chaos.ChaosRun;
import io.tally.testkit.chaos.ChaosRun.Fault;
import io.tally.testkit.chaos.ValidTraffic;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Scenario {@code hostile} (issue 16): valid traffic with every send carrying an id, the hostile
 * entries of {@link io.tally.testkit.chaos.HostileCatalogue} XADDed raw into the partition
 * streams, processors SIGKILLed and SIGSTOPped past their lease, Redis restarted (AOF
 * {@code appendfsync always}), and an entry with an id ten years ahead at the end; then every counter,
 * 1m bucket, firing and dead letter is checked exactly ({@link ChaosRun}, shared with
 * {@code HostileChaosTest}). With {@code --redis-url} the scenario cannot restart Redis and says so.
 */
final class HostileChaos {
    private static final int PROCESSORS = 3;
    private static final int LEASE_TTL_MS = 3000;

    private final BenchContext ctx;
    private final Random random = new Random();
    private final List<Child> processors = new ArrayList<>();
    private int started;

    HostileChaos(BenchContext ctx) {
        this.ctx = ctx;
    }

    void run(int run) {
        String namespace = ctx.namespace("hostile", run);
        RedisServer own = ctx.ownsRedis ? RedisServer.start("--appendonly", "yes", "--appendfsync", "always") : null;
        String url = own != null ? own.url() : ctx.redisUrl;
        if (own == null) {
            BenchContext.log("hostile: --redis-url was given, so this run cannot restart Redis: Redis restarts are skipped");
        }
        List<String> flags = ctx.leaseTtlMs > 0 ? List.of() : List.of("--lease-ttl-ms", Integer.toString(LEASE_TTL_MS));
        try {
            for (int i = 0; i < PROCESSORS; i++) {
                startProcessor(namespace, url, flags);
            }
            awaitOwned(url, namespace);
            TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, url)
                    .set(TallyConfig.NAMESPACE, namespace).set(TallyConfig.PARTITIONS, Workload.PARTITIONS)
                    .set(TallyConfig.SEND_TIMEOUT_MS, 3000L).set(TallyConfig.REDIS_TIMEOUT_MS, 1000).build();
            ChaosRun.Report report;
            try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP);
                 TriggerClient triggers = RedisTriggerClient.create(config)) {
                report = new ChaosRun(settings(url, namespace, run), new ProducerClient(producer, triggers),
                        faults(namespace, url, flags, own), line -> BenchContext.log("hostile: %s", line)).run();
            }
            record(report);
            if (!report.mismatches().isEmpty()) {
                List<String> shown = report.mismatches().subList(0, Math.min(40, report.mismatches().size()));
                throw new AssertionError(report.mismatches().size() + " mismatches:\n  " + String.join("\n  ", shown));
            }
        } finally {
            processors.forEach(Child::close);
            processors.clear();
            if (own != null) {
                own.close();
            } else {
                try (Resp resp = new Resp(url)) {
                    resp.deletePattern(namespace + ":*");
                }
            }
        }
    }

    private ChaosRun.Settings settings(String url, String namespace, int run) {
        double seconds = ctx.seconds(120, 20);
        List<Fault> faults = new ArrayList<>();
        for (int cycle = 0; cycle < Math.max(1, Math.round(seconds / 40)); cycle++) {
            faults.addAll(List.of(Fault.KILL, Fault.STOP, Fault.RESTART_REDIS));
        }
        ValidTraffic.Plan plan = new ValidTraffic.Plan((int) ctx.count(200, 20), (int) ctx.count(40, 6),
                (int) ctx.count(5, 2), (int) ctx.count(10, 3), ctx.count(2000, 300), run);
        long stopMs = 4L * (ctx.leaseTtlMs > 0 ? ctx.leaseTtlMs : LEASE_TTL_MS) / 3;
        return new ChaosRun.Settings(url, namespace, Workload.PARTITIONS, (long) (seconds * 1000), faults, stopMs, plan,
                true, 60_000);
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

    private ChaosRun.Faults faults(String namespace, String url, List<String> flags, RedisServer own) {
        return new ChaosRun.Faults() {
            @Override
            public void killOne() {
                Child victim = processors.remove(random.nextInt(processors.size()));
                victim.kill();
                victim.close();
                startProcessor(namespace, url, flags);
            }

            @Override
            public void stopOne(long ms) {
                Child victim = processors.get(random.nextInt(processors.size()));
                victim.pause();
                try {
                    Sleep.ms(ms);
                } finally {
                    victim.resume();
                }
            }

            @Override
            public boolean restartRedis() {
                if (own == null) {
                    return false;
                }
                own.kill();
                own.restart();
                return true;
            }
        };
    }

    private void startProcessor(String namespace, String url, List<String> flags) {
        processors.add(ctx.processor("h" + ++started, namespace, url, flags));
    }

    private void awaitOwned(String url, String namespace) {
        Keys keys = new Keys(namespace);
        long deadline = System.currentTimeMillis() + 60_000;
        try (Resp resp = new Resp(url)) {
            for (int p = 0; p < Workload.PARTITIONS; p++) {
                while (resp.call("GET", keys.lease(p)) == null) {
                    processors.forEach(Child::requireAlive);
                    if (System.currentTimeMillis() > deadline) {
                        throw new IllegalStateException("partition " + p + " of " + namespace + " has no owner after 60 s");
                    }
                    Sleep.ms(100);
                }
            }
        }
    }

    /** The chaos run's view of the producer library and its trigger client. */
    private record ProducerClient(TallyProducer producer, TriggerClient triggers) implements ChaosClient {
        @Override
        public CompletableFuture<String> send(CounterOp op) {
            return producer.send(op).thenApply(SendResult::entryId);
        }

        @Override
        public CompletableFuture<String> emit(Event event) {
            return producer.emit(event).thenApply(SendResult::entryId);
        }

        @Override
        public String createTrigger(TriggerDefinition definition) {
            return triggers.create(definition).id();
        }

        @Override
        public Failure classify(Throwable error) {
            Throwable e = error;
            while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
                e = e.getCause();
            }
            if (e instanceof OutcomeUnknownException || (e instanceof TallyException t && t.retriable())) {
                return Failure.RETRY;
            }
            String text = (e.getClass().getSimpleName() + " " + e.getMessage()).toLowerCase(Locale.ROOT);
            return text.contains("conflict") ? Failure.CONFLICT : Failure.REFUSED;
        }
    }
}
