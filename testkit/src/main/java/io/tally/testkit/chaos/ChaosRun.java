package io.tally.testkit.chaos;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.model.CounterOp;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.testkit.RawRedis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.concurrent.CompletableFuture;

/**
 * The hostile chaos run, on processors and a Redis that {@link HostileChaos} sets up: valid
 * traffic with its model ({@link ValidTraffic}), the hostile entries of {@link HostileCatalogue} written
 * raw between faults (processors SIGKILLed, SIGSTOPped past their lease, Redis restarted), an operation
 * id reused across counters, then, once the traffic is acknowledged, an entry with an id years ahead; at
 * the end every counter, bucket, firing and dead letter is checked exactly by {@link ChaosVerifier}.
 *
 * <p>Hostile writes and faults run on the caller's thread, one after the other, so that no raw XADD
 * is in flight while Redis restarts (a raw write has no id to retry it safely).
 */
public final class ChaosRun {
    /** The faults a caller can inject into its processors and Redis. */
    public interface Faults {
        /** SIGKILLs one processor and starts another in its place. */
        void killOne();

        /** SIGSTOPs one processor for {@code ms}, then SIGCONTs it (a zombie that wakes up). */
        void stopOne(long ms);

        /** Restarts Redis (AOF {@code appendfsync always}: nothing acknowledged is lost); false if not possible. */
        boolean restartRedis();
    }

    public enum Fault { KILL, STOP, RESTART_REDIS }

    /**
     * @param durationMs how long valid traffic runs while hostile groups and faults are spread over it
     * @param stopMs     how long a SIGSTOP lasts (past the lease TTL, so the partition changes hands)
     * @param farFuture  whether to end with the entry whose id is ten years ahead
     */
    public record Settings(String redisUrl, String namespace, int partitions, long durationMs, List<Fault> faults,
                           long stopMs, ValidTraffic.Plan plan, boolean farFuture, long drainTimeoutMs) {
        /** The same settings on another Redis. */
        public Settings withRedisUrl(String url) {
            return new Settings(url, namespace, partitions, durationMs, faults, stopMs, plan, farFuture, drainTimeoutMs);
        }
    }

    /** What happened and every mismatch found. */
    public record Report(long validSent, long validAcked, long retried, int hostileEntries, long deadLetters,
                         long firings, long firingReplays, int kills, int stops, int redisRestarts, long drainMs,
                         List<String> mismatches) {
    }

    private final Settings settings;
    private final ChaosClient client;
    private final Faults faults;
    private final Consumer<String> log;
    private final Keys keys;
    private final String tag;

    public ChaosRun(Settings settings, ChaosClient client, Faults faults, Consumer<String> log) {
        this.settings = settings;
        this.client = client;
        this.faults = faults;
        this.log = log;
        try (RawRedis redis = new RawRedis(settings.redisUrl())) {
            this.keys = redis.namespaceKeys(settings.namespace());
        }
        byte[] b = new byte[3];
        ThreadLocalRandom.current().nextBytes(b);
        this.tag = HexFormat.of().formatHex(b);
    }

    public Report run() {
        HostileCatalogue catalogue = new HostileCatalogue(keys, settings.partitions(), tag);
        List<String> mismatches = new ArrayList<>();
        List<HostileCatalogue.Written> written = new ArrayList<>();
        int[] counts = new int[3]; // kills, stops, Redis restarts
        try (ValidTraffic traffic = new ValidTraffic(client, settings.plan(), tag)) {
            Map<String, String> triggerIds = createTriggers(traffic.triggers(), catalogue.triggers());
            traffic.start();
            Map<String, Long> idScope = idScope(mismatches);
            spreadOverTraffic(steps(catalogue, written, counts));
            log.accept("traffic stops; waiting for every send to be acknowledged");
            traffic.stop(Math.max(30_000, settings.drainTimeoutMs() / 2));
            mismatches.addAll(traffic.problems());
            String futureCounter = null;
            if (settings.farFuture()) {
                written.addAll(writeGroup(catalogue, catalogue.farFuture(System.currentTimeMillis())));
                futureCounter = catalogue.futureCounter();
            }
            ChaosVerifier verifier = new ChaosVerifier(settings.redisUrl(), keys, settings.partitions());
            long drainMs = verifier.awaitDrained(settings.drainTimeoutMs());
            log.accept("drained in " + drainMs + " ms; checking");
            mismatches.addAll(verifier.verify(expected(traffic, catalogue, idScope, triggerIds, written, futureCounter)));
            ChaosVerifier.Figures f = verifier.figures();
            return new Report(traffic.sent(), traffic.acked(), traffic.retried(), written.size(), f.deadLetters(),
                    f.firings(), f.firingReplays(), counts[0], counts[1], counts[2], drainMs, mismatches);
        }
    }

    /** The hostile groups and the faults, interleaved; a fault counts itself into {@code counts} when injected. */
    private List<Runnable> steps(HostileCatalogue catalogue, List<HostileCatalogue.Written> written, int[] counts) {
        List<Runnable> steps = new ArrayList<>();
        List<HostileCatalogue.Group> groups = catalogue.groups();
        for (int i = 0; i < Math.max(groups.size(), settings.faults().size()); i++) {
            if (i < groups.size()) {
                HostileCatalogue.Group g = groups.get(i);
                steps.add(() -> written.addAll(writeGroup(catalogue, g)));
            }
            if (i < settings.faults().size()) {
                Fault f = settings.faults().get(i);
                steps.add(() -> {
                    int counted = inject(f);
                    if (counted >= 0) {
                        counts[counted]++;
                    }
                });
            }
        }
        return steps;
    }

    /** Runs the steps one after the other, spread evenly over the traffic's duration. */
    private void spreadOverTraffic(List<Runnable> steps) {
        long slot = settings.durationMs() / (steps.size() + 1);
        for (Runnable step : steps) {
            ValidTraffic.sleepMs(slot);
            step.run();
        }
        ValidTraffic.sleepMs(slot);
    }

    /** What the valid traffic's model, the hostile catalogue and the id-scope checks add up to. */
    private static ChaosVerifier.Expected expected(ValidTraffic traffic, HostileCatalogue catalogue,
                                                   Map<String, Long> idScope, Map<String, String> triggerIds,
                                                   List<HostileCatalogue.Written> written, String futureCounter) {
        Map<String, Long> counters = new TreeMap<>(traffic.counters());
        counters.putAll(catalogue.counters());
        counters.putAll(idScope);
        Map<String, Long> firings = new TreeMap<>(traffic.firings());
        firings.putAll(catalogue.firings());
        Set<String> windowed = new HashSet<>();
        traffic.buckets().keySet().forEach(b -> windowed.add(b.substring(0, b.lastIndexOf('@'))));
        return new ChaosVerifier.Expected(counters, traffic.buckets(), windowed, firings, triggerIds, traffic.uniques(),
                written, futureCounter);
    }

    private Map<String, String> createTriggers(Map<String, TriggerDefinition> valid, Map<String, TriggerDefinition> hostile) {
        Map<String, String> ids = new HashMap<>();
        valid.forEach((name, def) -> ids.put(name, client.createTrigger(def)));
        hostile.forEach((name, def) -> ids.put(name, client.createTrigger(def)));
        log.accept(ids.size() + " triggers created");
        return ids;
    }

    private List<HostileCatalogue.Written> writeGroup(HostileCatalogue catalogue, HostileCatalogue.Group group) {
        try (RawRedis redis = new RawRedis(settings.redisUrl())) {
            List<HostileCatalogue.Written> w = catalogue.write(redis, group);
            log.accept("raw XADD: " + group.name() + " (" + w.size() + " entries)");
            return w;
        }
    }

    /** Returns the index of the fault's counter (0 kills, 1 stops, 2 Redis restarts), -1 when skipped. */
    private int inject(Fault fault) {
        switch (fault) {
            case KILL -> {
                log.accept("fault: SIGKILL a processor");
                faults.killOne();
                return 0;
            }
            case STOP -> {
                log.accept("fault: SIGSTOP a processor for " + settings.stopMs() + " ms");
                faults.stopOne(settings.stopMs());
                return 1;
            }
            default -> {
                log.accept("fault: restart Redis");
                if (!faults.restartRedis()) {
                    log.accept("Redis restart skipped: the run does not own its Redis");
                    return -1;
                }
                return 2;
            }
        }
    }

    /**
     * An operation id is scoped to its stream and routing key: one id on two counters of the same
     * partition writes both; the same id again is a duplicate; the same id with another payload on the
     * same counter is refused as a conflict.
     */
    private Map<String, Long> idScope(List<String> mismatches) {
        Partitioner partitioner = new Partitioner(settings.partitions());
        String a = "ida-" + tag;
        int p = partitioner.partitionOf(a);
        String b = null;
        for (int i = 0; b == null; i++) {
            if (partitioner.partitionOf("idb-" + tag + "." + i) == p) {
                b = "idb-" + tag + "." + i;
            }
        }
        String id = "shared-" + tag;
        expect(mismatches, "incr " + a + " id " + id, () -> client.send(CounterOp.incr(a, 3).withId(id)), null);
        String bName = b;
        expect(mismatches, "incr " + b + " with the same id", () -> client.send(CounterOp.incr(bName, 4).withId(id)), null);
        expect(mismatches, "the first send again", () -> client.send(CounterOp.incr(a, 3).withId(id)), null);
        expect(mismatches, "the same id with another payload on " + a,
                () -> client.send(CounterOp.incr(a, 5).withId(id)), ChaosClient.Failure.CONFLICT);
        return Map.of(a, 3L, b, 4L);
    }

    /** Sends until settled (retrying retriable failures) and records a mismatch unless it ends as wanted. */
    private void expect(List<String> mismatches, String what, Supplier<CompletableFuture<String>> send,
                        ChaosClient.Failure wanted) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            ChaosClient.Failure got;
            Throwable error;
            try {
                send.get().get(30, TimeUnit.SECONDS);
                got = null;
                error = null;
            } catch (Exception e) {
                error = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
                got = client.classify(error);
            }
            if (got == ChaosClient.Failure.RETRY && System.nanoTime() < deadline) {
                ValidTraffic.sleepMs(100);
                continue;
            }
            if (got != wanted) {
                mismatches.add("id scope: " + what + ": " + (got == null ? "acknowledged" : got + " (" + error + ")")
                        + ", expected " + (wanted == null ? "acknowledged" : wanted));
            }
            return;
        }
    }
}
