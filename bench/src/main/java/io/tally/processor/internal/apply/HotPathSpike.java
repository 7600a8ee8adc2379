package io.tally.processor.internal.apply;

import io.tally.processor.internal.batch.*;
import io.tally.processor.internal.transport.*;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.series.SeriesWindows;
import io.tally.testkit.RawRedis;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The lettuce-drain spike's loop: drains a pre-filled namespace the way the processor's fast path does,
 * over either hot path, so that only the client differs. Per round and group of partitions (the
 * processor's {@value ApplyRound#GROUPS} groups, each with one pipeline in flight): apply_counters.lua
 * for every batch read in the group's previous round, folded by {@link CounterFold} and sent with the
 * KEYS and ARGV of {@link ApplyScripts#fastApply}, then the next XREADGROUP of each partition. What the
 * processor does besides (leases, claims, apply.lua for batches the fold cannot take, housekeeping) is
 * left out: a batch the fast script declines fails the run.
 *
 * <p>It lives in the processor's package, in the bench module only, to reuse the processor's
 * package-private classes as they are.
 */
public final class HotPathSpike implements AutoCloseable {
    /** Which client carries the reads and scripts. */
    public enum Client {
        /** The processor's own: {@link HotPath}'s direct connection (RespStreamReads, RespScriptPipeline). */
        DIRECT,
        /** Lettuce: {@link LettuceHotPath}. */
        LETTUCE
    }

    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final int partitions;
    private final int batchSize;
    private final ApplyScripts scripts;
    private final SeriesRules series;
    private final Connection connection;
    private final StreamReads reads;
    /** Batches read and not yet applied, per partition, in read order. */
    private final List<ArrayDeque<ReadBatch>> unapplied = new ArrayList<>();
    private long applied;

    private HotPathSpike(TallyConfig config, Keys keys, int partitions, String leaseValue, Connection connection) {
        this.partitions = partitions;
        this.batchSize = config.get(TallyConfig.BATCH_SIZE);
        SeriesWindows windows = config.get(TallyConfig.SERIES_WINDOWS);
        long futureMs = config.get(TallyConfig.SERIES_FUTURE_MS);
        this.scripts = new ApplyScripts(keys, partitions, leaseValue, windows.scriptArg(), futureMs,
                config.get(TallyConfig.MAX_FIRINGS_PER_CALL), ApplyScripts.APPLY);
        this.series = new SeriesRules(windows, futureMs);
        this.connection = connection;
        this.reads = connection.reads();
        for (int p = 0; p < partitions; p++) {
            unapplied.add(new ArrayDeque<>());
        }
    }

    /**
     * Takes every partition's lease for this spike (as a processor holding them would), loads the fast
     * script and opens the chosen client on a standalone Redis.
     */
    public static HotPathSpike open(Client client, String redisUrl, String namespace, int partitions) {
        TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, redisUrl)
                .set(TallyConfig.NAMESPACE, namespace).set(TallyConfig.PARTITIONS, partitions).build();
        String leaseValue = "spike-" + client.name().toLowerCase(java.util.Locale.ROOT);
        Keys keys;
        try (RawRedis redis = new RawRedis(redisUrl)) {
            keys = redis.namespaceKeys(namespace);
            for (LuaScript script : List.of(ApplyScripts.APPLY_COUNTERS, ApplyScripts.APPLY)) {
                Object sha = redis.call("SCRIPT", "LOAD", script.source());
                if (!script.sha().equals(RawRedis.text(sha))) {
                    throw new IllegalStateException("SCRIPT LOAD of " + script.name() + " answered " + sha);
                }
            }
            for (int p = 0; p < partitions; p++) {
                redis.call("SET", keys.lease(p), leaseValue);
            }
        }
        Connection connection = client == Client.DIRECT ? direct(config, keys, partitions, leaseValue)
                : lettuce(config, keys, partitions, leaseValue);
        return new HotPathSpike(config, keys, partitions, leaseValue, connection);
    }

    /** The processor's direct hot path, exactly as {@link HotPath} opens it for a standalone Redis. */
    private static Connection direct(TallyConfig config, Keys keys, int partitions, String leaseValue) {
        HotPath.Clients clients = HotPath.from(config).open(null, keys, partitions, leaseValue);
        if (!(clients.pipeline() instanceof RespScriptPipeline)) {
            clients.close();
            throw new IllegalStateException("the direct hot path did not open (hot-path-connection, redis-mode?)");
        }
        return new Connection(clients.reads(), clients::pipeline, clients::close);
    }

    private static Connection lettuce(TallyConfig config, Keys keys, int partitions, String leaseValue) {
        LettuceHotPath lettuce = new LettuceHotPath(config.redisUrl(), config.redisPassword(), keys, partitions,
                leaseValue);
        return new Connection(lettuce.reads(), lettuce::pipeline, lettuce::close);
    }

    /** A client's reads, a maker of round pipelines, and how to close it. */
    private record Connection(StreamReads reads, java.util.function.Supplier<ScriptPipeline> pipelines,
                              Runnable closer) {
    }

    /**
     * Runs rounds until {@code entries} entries are applied (the namespace's whole backlog), failing
     * after {@code timeoutMs}. Returns the entries applied.
     */
    public long drain(long entries, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        int groups = ApplyRound.GROUPS;
        Round[] inFlight = new Round[groups];
        long[] nextStart = new long[groups];
        while (applied < entries) {
            long now = System.nanoTime();
            if (now > deadline) {
                throw new IllegalStateException("spike: applied " + applied + " of " + entries + " in " + timeoutMs + " ms");
            }
            for (int g = 0; g < groups; g++) {
                if (inFlight[g] == null && now >= nextStart[g]) {
                    inFlight[g] = start(g);
                }
            }
            long wait = TimeUnit.MILLISECONDS.toNanos(100);
            for (int g = 0; g < groups; g++) {
                if (inFlight[g] == null) {
                    wait = Math.min(wait, Math.max(0, nextStart[g] - now));
                }
            }
            awaitAny(inFlight, wait);
            for (int g = 0; g < groups; g++) {
                if (inFlight[g] != null && inFlight[g].completion.isDone()) {
                    int progress = finish(inFlight[g]);
                    inFlight[g] = null;
                    // as the processor paces a group that found nothing: a pause before it reads again
                    nextStart[g] = progress > 0 ? 0 : System.nanoTime() + IDLE_NANOS;
                }
            }
        }
        for (Round r : inFlight) {
            if (r != null) {
                r.completion.join();
                finish(r);
            }
        }
        return applied;
    }

    private record Apply(int partition, ReadBatch batch, CompletableFuture<List<Object>> reply) {
    }

    private record Read(int partition, CompletableFuture<PartitionRead> reply) {
    }

    /** One group's pipeline in flight: its applies, its reads, and when all of them have replied. */
    private static final class Round {
        final List<Apply> applies = new ArrayList<>();
        final List<Read> reads = new ArrayList<>();
        CompletableFuture<Void> completion;
    }

    /** Sends group {@code g}'s round: the applies of its batches read last round, then its next reads. */
    private Round start(int g) {
        ScriptPipeline pipeline = connection.pipelines().get();
        Round round = new Round();
        for (int p = g; p < partitions; p += ApplyRound.GROUPS) {
            for (ReadBatch b : unapplied.get(p)) {
                CounterFold fold = b.fold(series);
                if (fold == null) {
                    throw new IllegalStateException("partition " + p + ": a batch the fold cannot take; the spike "
                            + "covers the fast path only");
                }
                round.applies.add(new Apply(p, b, scripts.fastApply(pipeline, p, b, fold)));
            }
            unapplied.get(p).clear();
            round.reads.add(new Read(p, reads.readNew(p, batchSize)));
        }
        List<CompletableFuture<?>> pending = new ArrayList<>(round.reads.size() + 1);
        pending.add(pipeline.execute());
        round.reads.forEach(r -> pending.add(r.reply()));
        round.completion = CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new));
        return round;
    }

    /** Checks a round's replies and keeps its reads for the group's next round; returns entries applied and read. */
    private int finish(Round round) {
        int progress = 0;
        for (Apply a : round.applies) {
            List<Object> reply = a.reply().join();
            if (!"OK".equals(reply.get(0))) {
                throw new IllegalStateException("partition " + a.partition() + ": apply_counters.lua answered " + reply
                        + " for " + a.batch().first() + ".." + a.batch().last());
            }
            int n = Integer.parseInt(reply.get(1).toString());
            applied += n;
            progress += n;
        }
        for (Read r : round.reads) {
            PartitionRead read = r.reply().join();
            if (read.events() != null) {
                throw new IllegalStateException("partition " + r.partition() + ": events read; the spike applies ops only");
            }
            if (read.ops() != null) {
                unapplied.get(r.partition()).add(read.ops());
                progress += read.ops().size();
            }
        }
        return progress;
    }

    /** Waits until a round in flight completes, or at most {@code maxNanos} (an idle group's pause). */
    private static void awaitAny(Round[] inFlight, long maxNanos) throws InterruptedException {
        List<CompletableFuture<?>> pending = new ArrayList<>(inFlight.length);
        for (Round r : inFlight) {
            if (r != null) {
                pending.add(r.completion);
            }
        }
        if (pending.isEmpty()) {
            TimeUnit.NANOSECONDS.sleep(maxNanos);
            return;
        }
        try {
            CompletableFuture.anyOf(pending.toArray(CompletableFuture[]::new)).get(maxNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // finish() reports a failed reply; a timeout only means nothing has replied yet
        }
    }

    @Override
    public void close() {
        connection.closer().run();
    }
}
