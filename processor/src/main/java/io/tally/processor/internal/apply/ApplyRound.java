package io.tally.processor.internal.apply;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.series.SeriesWindows;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.batch.SeriesRules;
import io.tally.processor.internal.halt.PartitionHalts;
import io.tally.processor.internal.transport.HotPath;
import org.redisson.api.RedissonClient;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntConsumer;

/**
 * Pipelined rounds over the owned partitions, split into {@value #GROUPS} groups with a pipeline each.
 * A partition still recovering gets a claim script or apply.lua reading its own pending entries. A live
 * partition takes the fast path: the fast apply script for each counter batch read in its previous
 * pipeline (apply.lua for a batch the fast script cannot decide, and for events), then an XREADGROUP
 * for its next batch, so Redis reads the next batch while the processor folds the last one. Only with
 * {@code fast-path-min-read} N above 0 does a live partition whose last read returned fewer than N
 * entries get apply.lua instead, which reads and applies in one call.
 *
 * <p>Reading outside the fenced scripts is safe by the checkpoint rule: a script applies a batch only if
 * its first entry follows the checkpoint and its last is still in the stream (a failover may have lost
 * the tail it was read from), and otherwise answers GAP, after which the worker claims every pending
 * entry and re-reads its own from the start. A zombie's read-ahead is therefore harmless.
 *
 * <p>This class schedules the rounds: when each group sends its next pipeline and how long the thread
 * waits. {@link RoundBuilder} builds and sends a group's pipeline, {@link RoundReplies} handles it once
 * complete, and {@link ApplyScripts} says what each script call sends.
 */
public final class ApplyRound {
    /** Pipelines in flight at once, each over its own share of the partitions. */
    static final int GROUPS = 2;
    /** A pipeline that read and applied fewer entries than this counts as small (see {@link Pacing}). */
    static final int SMALL_PIPELINE = 64;
    static final long LINGER_MS = 2;
    private static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(LINGER_MS);

    private final RedissonClient redis;
    private final RoundPipeline[] inFlight = new RoundPipeline[GROUPS];
    private final Pacing[] pacing = new Pacing[GROUPS];
    private final long idlePollNanos;
    private final HotPath.Clients hotPath;
    private final ApplyScripts scripts;
    private final PartitionHalts halts;
    private final RoundBuilder builder;
    private final RoundReplies replies;

    /**
     * @param windows  allowed series windows
     * @param futureMs how far an entry's ts may lead its id time and still pick its buckets, ms
     * @param maxFiringsPerCall most firings one apply.lua call appends (the rest of its batch waits)
     * @param idlePollMs longest pause before an idle group of partitions reads again
     * @param fastPathMinRead entries a read must return to keep its partition on the fast path; 0 for
     *                        always, above {@code batchSize} never
     * @param hotPath which connection the reads and script pipelines take
     */
    public ApplyRound(RedissonClient redis, Keys keys, int partitions, String leaseValue, int batchSize,
                      ProcessorListener metrics, SeriesWindows windows, long futureMs, int maxFiringsPerCall,
                      long idlePollMs, int fastPathMinRead, HotPath hotPath) {
        this(redis, keys, partitions, leaseValue, batchSize, metrics, windows, futureMs, maxFiringsPerCall, idlePollMs,
                fastPathMinRead, hotPath, ApplyScripts.APPLY);
    }

    /**
     * As the public constructor, with {@code apply} in place of apply.lua: for tests that need a real
     * script failing on chosen entries (a poison entry no rule of today's apply.lua lets through).
     */
    public static ApplyRound withApplyScript(RedissonClient redis, Keys keys, int partitions, String leaseValue,
                                             int batchSize, ProcessorListener metrics, SeriesWindows windows,
                                             long futureMs, int maxFiringsPerCall, long idlePollMs,
                                             int fastPathMinRead, HotPath hotPath, LuaScript apply) {
        return new ApplyRound(redis, keys, partitions, leaseValue, batchSize, metrics, windows, futureMs,
                maxFiringsPerCall, idlePollMs, fastPathMinRead, hotPath, apply);
    }

    private ApplyRound(RedissonClient redis, Keys keys, int partitions, String leaseValue, int batchSize,
                       ProcessorListener metrics, SeriesWindows windows, long futureMs, int maxFiringsPerCall,
                       long idlePollMs, int fastPathMinRead, HotPath hotPath, LuaScript apply) {
        this.redis = redis;
        this.halts = new PartitionHalts(redis, keys, leaseValue, metrics);
        this.idlePollNanos = TimeUnit.MILLISECONDS.toNanos(idlePollMs);
        for (int g = 0; g < GROUPS; g++) {
            pacing[g] = new Pacing();
        }
        this.scripts = new ApplyScripts(keys, partitions, leaseValue, windows.scriptArg(), futureMs, maxFiringsPerCall,
                apply);
        SeriesRules series = new SeriesRules(windows, futureMs);
        ScriptReplies scriptReplies = new ScriptReplies(metrics, halts);
        PoisonNarrowing poison = new PoisonNarrowing(metrics, halts, scripts, scriptReplies);
        this.replies = new RoundReplies(redis, scripts, metrics, halts, poison);
        this.hotPath = hotPath.open(redis, keys, partitions, leaseValue);
        this.builder = new RoundBuilder(scripts, this.hotPath, scriptReplies, new ReadAheadReplies(metrics, scriptReplies),
                poison, metrics, series, batchSize, fastPathMinRead);
    }

    /**
     * Waits {@code maxMs}, ending early once the hot path's connection, lost when the wait began, opens again
     * ({@link HotPath.Clients#awaitReconnect}); returns whether it did.
     */
    public boolean awaitReconnect(long maxMs) throws InterruptedException {
        return hotPath.awaitReconnect(maxMs);
    }

    /** Closes the hot path's own connection (the Redisson client is the processor's). */
    public void close() {
        hotPath.close();
    }

    /** Loads the apply path's scripts into Redis. */
    public void load() {
        scripts.load(redis);
    }

    /** Partitions that cannot progress right now, and why; safe to read from any thread. */
    public PartitionHalts halts() {
        return halts;
    }

    /** The partition is no longer owned: its halt, if any, is the next owner's to report. */
    public void forget(int partition) {
        halts.forget(partition);
    }

    /**
     * Sends a pipeline for every group of partitions that has none in flight (an idle group waits its
     * back-off first), waits until one completes or {@code idle-poll-ms} passes, and handles every
     * completed one, sending its next pipeline at once. The owned partitions are split into
     * {@value #GROUPS} groups so that Redis works on one while this thread folds another's reads, and a
     * slow group never holds up a quick one.
     *
     * @param workers   owned partitions
     * @param leaseLost called with each partition whose lease turned out to be gone
     * @return entries read or applied by the pipelines finished in this call (0: nothing finished or idle)
     */
    public int run(Collection<PartitionWorker> workers, IntConsumer leaseLost) {
        long now = System.nanoTime();
        for (int g = 0; g < GROUPS; g++) {
            if (inFlight[g] == null && now >= pacing[g].nextStart) {
                inFlight[g] = builder.start(workers, g, leaseLost);
                if (inFlight[g] == null) {
                    pacing[g].idle(now); // no partition of this group to work on
                }
            }
        }
        if (!awaitAny(now)) {
            return 0;
        }
        int progress = 0;
        for (int g = 0; g < GROUPS; g++) {
            if (inFlight[g] != null && inFlight[g].completion.isDone()) {
                int finished = finishGroup(g);
                progress += finished;
                long at = System.nanoTime();
                if (finished >= SMALL_PIPELINE) {
                    pacing[g].busy();
                    inFlight[g] = builder.start(workers, g, leaseLost);
                } else if (finished > 0) {
                    pacing[g].linger(at);
                } else {
                    pacing[g].idle(at);
                }
            }
        }
        return progress;
    }

    /** Waits until a pipeline in flight completes (true) or until an idle group may read again (false). */
    private boolean awaitAny(long now) {
        long wakeAt = now + idlePollNanos;
        List<CompletableFuture<?>> pending = new ArrayList<>(GROUPS);
        for (int g = 0; g < GROUPS; g++) {
            if (inFlight[g] != null) {
                pending.add(inFlight[g].completion);
            } else {
                wakeAt = Math.min(wakeAt, pacing[g].nextStart);
            }
        }
        long waitNanos = Math.max(0, wakeAt - now);
        try {
            if (pending.isEmpty()) {
                TimeUnit.NANOSECONDS.sleep(waitNanos);
                return false;
            }
            CompletableFuture.anyOf(pending.toArray(CompletableFuture[]::new)).get(waitNanos, TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true; // RoundReplies.finish reports the failure
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Waits for every pipeline in flight and handles its replies. The loop calls it before it changes
     * leases, so that no script of a partition is in flight while its lease is released.
     */
    public int drain() {
        int progress = 0;
        for (int g = 0; g < GROUPS; g++) {
            progress += finishGroup(g);
        }
        return progress;
    }

    private int finishGroup(int group) {
        RoundPipeline done = inFlight[group];
        if (done == null) {
            return 0;
        }
        inFlight[group] = null; // consumed even if finishing throws
        return replies.finish(done);
    }

    /**
     * When a group may send its next pipeline: at once after a busy one; {@value #LINGER_MS} ms after a
     * small one, so that a moderate rate fills a few larger batches instead of spinning through tiny
     * pipelines (each costs two round trips' worth of CPU whatever it carries); 1 ms after an empty
     * one, doubling up to idle-poll-ms.
     */
    private final class Pacing {
        long nextStart;
        long backoffNanos;

        void busy() {
            backoffNanos = 0;
            nextStart = 0;
        }

        void linger(long now) {
            backoffNanos = 0;
            nextStart = now + LINGER_NANOS;
        }

        void idle(long now) {
            backoffNanos = Math.min(idlePollNanos, Math.max(TimeUnit.MILLISECONDS.toNanos(1), backoffNanos * 2));
            nextStart = now + backoffNanos;
        }
    }
}
