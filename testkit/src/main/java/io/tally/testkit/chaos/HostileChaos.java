package io.tally.testkit.chaos;

import io.tally.common.internal.keys.Keys;
import io.tally.testkit.Pause;
import io.tally.testkit.ProcessorFleet;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RedisServer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The hostile chaos run with everything around it, the one driver behind the bench's {@code hostile}
 * scenario and the system test {@code HostileChaosTest}: a Redis (the run's own, with AOF
 * {@code appendfsync always} so that a restart loses nothing acknowledged, or the caller's, which it
 * cannot restart), processor processes that take every partition, the producer side, faults that
 * SIGKILL and SIGSTOP processors and restart Redis, and {@link ChaosRun} itself. Afterwards the
 * processors stop and the run's Redis (or, on the caller's Redis, the run's namespace) is removed.
 */
public final class HostileChaos {
    private static final long OWNED_TIMEOUT_MS = 60_000;

    /**
     * The run's processors.
     *
     * @param count  processors running at any time (a killed one is replaced by a new one)
     * @param flags  processor flags besides Redis, namespace and partitions, e.g. a short lease TTL
     * @param logDir folder where their logs stay, or null for temporary logs
     */
    public record Processors(int count, List<String> flags, Path logDir) {
    }

    private HostileChaos() {
    }

    /**
     * Runs the chaos run of {@code settings}. A null {@link ChaosRun.Settings#redisUrl()} starts a Redis
     * of the run's own; only then are Redis restarts possible.
     */
    public static ChaosRun.Report run(ChaosRun.Settings settings, Processors processors, ChaosClient.Factory clients,
                                      Random random, Consumer<String> log) {
        RedisServer own = settings.redisUrl() == null
                ? RedisServer.start("--appendonly", "yes", "--appendfsync", "always") : null;
        String url = own != null ? own.url() : settings.redisUrl();
        List<String> args = new ArrayList<>(List.of("--partitions", Integer.toString(settings.partitions())));
        args.addAll(processors.flags());
        try (ProcessorFleet fleet = new ProcessorFleet("h", url, settings.namespace(), args)
                .logsIn(processors.logDir()).start(processors.count())) {
            awaitOwned(fleet, url, settings);
            try (ChaosClient client = clients.open(url, settings.namespace(), settings.partitions())) {
                return new ChaosRun(settings.withRedisUrl(url), client, faults(fleet, own, random), log).run();
            }
        } finally {
            if (own != null) {
                own.close();
            } else {
                try (RawRedis redis = new RawRedis(url)) {
                    redis.deletePattern(settings.namespace() + ":*");
                }
            }
        }
    }

    private static ChaosRun.Faults faults(ProcessorFleet fleet, RedisServer own, Random random) {
        return new ChaosRun.Faults() {
            @Override
            public void killOne() {
                fleet.killOneAndReplace(random);
            }

            @Override
            public void stopOne(long ms) {
                fleet.pauseOne(ms, random);
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

    /** Waits until every partition has an owner: producers only open a namespace that exists. */
    private static void awaitOwned(ProcessorFleet fleet, String url, ChaosRun.Settings settings) {
        long deadline = System.currentTimeMillis() + OWNED_TIMEOUT_MS;
        try (RawRedis redis = new RawRedis(url)) {
            while (redis.callLong("EXISTS", Keys.meta(settings.namespace())) == 0) {
                fleet.requireAllAlive();
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException(settings.namespace() + " not created after "
                            + OWNED_TIMEOUT_MS / 1000 + " s");
                }
                Pause.ms(100);
            }
            Keys keys = redis.namespaceKeys(settings.namespace());
            for (int p = 0; p < settings.partitions(); p++) {
                while (redis.call("GET", keys.lease(p)) == null) {
                    fleet.requireAllAlive();
                    if (System.currentTimeMillis() > deadline) {
                        throw new IllegalStateException("partition " + p + " of " + settings.namespace()
                                + " has no owner after " + OWNED_TIMEOUT_MS / 1000 + " s");
                    }
                    Pause.ms(100);
                }
            }
        }
    }
}
