package io.tally.processor.internal.worker;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.series.SeriesWindows;
import io.tally.processor.ProcessorListener;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
 */
public final class ApplyRound {
    private static final Logger log = LoggerFactory.getLogger(ApplyRound.class);
    public static final LuaScript APPLY = LuaScript.resource("apply");
    static final LuaScript DEAD_LETTER = LuaScript.resource("dead_letter_entry");
    static final LuaScript APPLY_COUNTERS = LuaScript.resource("apply_counters");
    static final LuaScript CLAIM = LuaScript.resource("claim");
    /** Pipelines in flight at once, each over its own share of the partitions. */
    static final int GROUPS = 2;
    /** A pipeline that read and applied fewer entries than this counts as small (see {@link Pacing}). */
    static final int SMALL_PIPELINE = 64;
    static final long LINGER_MS = 2;
    private static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(LINGER_MS);

    private final RedissonClient redis;
    private final Keys keys;
    private final int partitions;
    private final String leaseValue;
    private final int batchSize;
    private final ProcessorListener metrics;
    private final String windows;
    private final SeriesRules series;
    private final long futureMs;
    private final int maxFiringsPerCall;
    private final Pipeline[] inFlight = new Pipeline[GROUPS];
    private final Pacing[] pacing = new Pacing[GROUPS];
    private final long idlePollNanos;
    private final int fastPathMinRead;
    private final ScriptReplies replies;
    private final HotPath.Clients hotPath;
    /** KEYS of apply.lua and apply_counters.lua per partition, built once: they are sent every round. */
    private final List<List<Object>> applyKeys = new ArrayList<>();
    private final List<List<Object>> fastKeys = new ArrayList<>();
    private final StreamReads reads;
    /** apply.lua, or a variant a test gives to make chosen entries fail (see the test-only constructor). */
    private final LuaScript apply;
    private final PartitionHalts halts;

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
                fastPathMinRead, hotPath, APPLY);
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
        this.apply = apply;
        this.maxFiringsPerCall = maxFiringsPerCall;
        this.halts = new PartitionHalts(redis, keys, leaseValue, metrics);
        this.idlePollNanos = TimeUnit.MILLISECONDS.toNanos(idlePollMs);
        this.fastPathMinRead = fastPathMinRead;
        for (int g = 0; g < GROUPS; g++) {
            pacing[g] = new Pacing();
        }
        this.windows = windows.scriptArg();
        this.series = new SeriesRules(windows, futureMs);
        this.futureMs = futureMs;
        this.redis = redis;
        this.keys = keys;
        this.partitions = partitions;
        this.leaseValue = leaseValue;
        this.batchSize = batchSize;
        this.metrics = metrics;
        this.replies = new ScriptReplies(metrics, halts);
        for (int p = 0; p < partitions; p++) {
            applyKeys.add(applyKeys(keys, p));
            fastKeys.add(fastKeys(keys, p));
        }
        this.hotPath = hotPath.open(redis, keys, partitions, leaseValue);
        this.reads = this.hotPath.reads();
    }

    /** Closes the hot path's own connection (the Redisson client is the processor's). */
    public void close() {
        hotPath.close();
    }

    public void load() {
        apply.load(redis);
        DEAD_LETTER.load(redis);
        APPLY_COUNTERS.load(redis);
        CLAIM.load(redis);
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
                inFlight[g] = start(workers, g, leaseLost);
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
                    inFlight[g] = start(workers, g, leaseLost);
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
            return true; // finish() reports the failure
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
        Pipeline done = inFlight[group];
        if (done == null) {
            return 0;
        }
        inFlight[group] = null; // consumed even if finishing throws
        return finish(done);
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

    /** Sends one pipeline for the workers of group {@code group}; null when none has anything to do. */
    private Pipeline start(Collection<PartitionWorker> workers, int group, IntConsumer leaseLost) {
        ScriptPipeline batch = hotPath.pipeline();
        Pipeline round = new Pipeline();
        long now = System.nanoTime();
        for (PartitionWorker w : workers) {
            if (w.partition % GROUPS != group || w.paused(now)) {
                continue;
            }
            StreamCursor claiming = w.claiming();
            if (claiming != null) {
                CompletableFuture<List<Object>> f = batch.eval(CLAIM,
                        List.of(stream(w.partition, claiming.topic), keys.lease(w.partition)),
                        leaseValue, consumer(), claiming.position, 1000);
                round.steps.add(new Step(w, claiming.topic, 0, f, () -> replies.onClaim(w, claiming, f.join(), leaseLost)));
            } else if (w.trouble != null && w.trouble.narrowing && narrowing(w)) {
                queueNarrowing(batch, round, w, leaseLost);
            } else if (!w.live() || w.scriptReads(fastPathMinRead)) {
                // Recovering, or a live partition at a moderate rate: apply.lua reads and applies in one
                // call, one round trip from append to apply.
                CompletableFuture<List<Object>> f = fullApply(batch, w, w.ops.readCursor(), w.events.readCursor(), batchSize);
                round.steps.add(new Step(w, null, batchSize, f, () -> {
                    int read = replies.onApply(w, f.join(), leaseLost);
                    w.lastRead = read;
                    round.progress[0] += read;
                }));
            } else {
                queueLive(batch, round, w, leaseLost);
            }
        }
        if (round.steps.isEmpty() && round.reads.isEmpty()) {
            return null;
        }
        round.started = System.nanoTime();
        List<CompletableFuture<?>> replies = new ArrayList<>(round.reads.size() + 1);
        if (!round.steps.isEmpty()) {
            round.executed = batch.execute();
            replies.add(round.executed);
        }
        round.reads.forEach(read -> replies.add(read.reply));
        round.completion = CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new));
        return round;
    }

    /** Waits for a pipeline and runs its handlers in order; throws when every step failed. */
    private int finish(Pipeline round) {
        RuntimeException failure = null;
        if (round.executed != null) {
            failure = await(round.executed);
            if (failure != null && LuaScript.isNoScript(failure)) {
                log.info("Redis forgot the scripts (restart or failover); loading them again");
                load();
            }
        }
        for (Step read : round.reads) {
            RuntimeException e = await(read.reply);
            failure = failure == null ? e : failure;
        }
        metrics.round(System.nanoTime() - round.started, round.steps.size() + round.reads.size());
        // Each worker's applies run before its read: the read appends to the queue the applies drain.
        List<Step> steps = new ArrayList<>(round.steps);
        int scripts = steps.size();
        steps.addAll(round.reads);
        int failed = 0;
        int isolated = 0;
        Set<PartitionWorker> troubled = new HashSet<>();
        long now = System.nanoTime();
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            if (step.reply.isCompletedExceptionally() || !step.reply.isDone()) {
                failed++;
                if (i < scripts && step.reply.isDone() && onScriptFailure(step, await(step.reply), troubled, now)) {
                    isolated++;
                }
                continue;
            }
            if (troubled.contains(step.worker)) {
                continue; // the partition starts over after its failure: a later step's reply is void
            }
            step.handler.run();
            if (step.worker.trouble != null && !step.worker.trouble.narrowing && i < scripts) {
                step.worker.trouble = null; // Redis accepts the partition's scripts again
                halts.resume(step.worker.partition);
            }
        }
        if (failure != null && ((failed == steps.size() && isolated < failed) || Namespace.isNoGroup(failure))
                && !LuaScript.isNoScript(failure)) {
            throw failure; // NOGROUP: the loop restores the lost consumer group at once (RedisStateGuard)
        }
        if (failure != null && isolated < failed && !LuaScript.isNoScript(failure)) {
            log.error("{} of {} steps failed this round: {}", failed - isolated, steps.size(), failure.toString());
        }
        return round.progress[0];
    }

    private static RuntimeException await(CompletableFuture<?> future) {
        try {
            future.join();
            return null;
        } catch (CompletionException e) {
            return e.getCause() instanceof RuntimeException cause ? cause : e;
        } catch (RuntimeException e) {
            return e;
        }
    }

    /**
     * A script of one partition failed with an error reply: the partition backs off (the others go on)
     * and starts over from its pending entries; a script error also narrows the batch towards the entry
     * that causes it. Returns false for a failure that is not the partition's (no reply, NOSCRIPT), which
     * the loop handles. One failure per partition and round counts.
     */
    private boolean onScriptFailure(Step step, RuntimeException error, Set<PartitionWorker> troubled, long now) {
        ScriptFailure kind = ScriptFailure.of(error);
        if (kind == ScriptFailure.CONNECTION) {
            return false;
        }
        PartitionWorker w = step.worker;
        if (!troubled.add(w)) {
            return true;
        }
        boolean entryMayBeAtFault = kind == ScriptFailure.SCRIPT_ERROR && step.size > 0;
        metrics.applyFailure(kind == ScriptFailure.SCRIPT_ERROR ? "script_error" : "redis_refused");
        String text = ScriptFailure.text(error);
        if (w.trouble == null || entryMayBeAtFault && !w.trouble.narrowing) {
            w.trouble = new Trouble(entryMayBeAtFault, step.topic, step.size);
        }
        Trouble t = w.trouble;
        t.failed(text, now, entryMayBeAtFault);
        w.restartRecovery();
        String reason = kind == ScriptFailure.SCRIPT_ERROR ? PartitionHalts.POISON_RETRYING : PartitionHalts.REDIS_REFUSED;
        halts.halt(w.partition, reason, text);
        long backoffMs = TimeUnit.NANOSECONDS.toMillis(t.backoffNanos);
        if (kind == ScriptFailure.REDIS_REFUSED) {
            log.warn("partition {}: Redis refused its script ({}); not an entry's fault: retrying in {} ms, "
                    + "nothing is dead-lettered for it", w.partition, text, backoffMs);
        } else if (!t.narrowing) {
            log.warn("partition {}: script failed ({}); retrying in {} ms", w.partition, text, backoffMs);
        } else if (t.poisonFound) {
            log.warn("partition {}: a batch of one {} entry failed ({}); dead-lettering it in {} ms", w.partition,
                    t.topic, text, backoffMs);
        } else {
            log.warn("partition {}: {} batch failed ({}, failure {}); retrying in {} ms with at most {} entries",
                    w.partition, t.topic, text, t.failures, backoffMs, t.limit);
        }
        return true;
    }

    /**
     * Whether the partition still narrows: its stream under test has pending entries left, or the other
     * one has (then it is tested next). Once both read past their pending entries without failing, the
     * failure did not come back and the partition resumes.
     */
    private boolean narrowing(PartitionWorker w) {
        Trouble t = w.trouble;
        if (w.cursor(t.topic).mode != StreamCursor.Mode.LIVE) {
            return true;
        }
        String other = "ops".equals(t.topic) ? "events" : "ops";
        if (w.cursor(other).mode != StreamCursor.Mode.LIVE) {
            t.topic = other;
            return true;
        }
        log.info("partition {}: the failing batch applied when retried in smaller batches ({}); resuming",
                w.partition, t.error);
        w.trouble = null;
        halts.resume(w.partition);
        return false;
    }

    /**
     * A narrowing partition sends one stream's pending entries, at most the narrowed batch size of them,
     * to apply.lua; once a batch of one failed, it dead-letters that entry instead.
     */
    private void queueNarrowing(ScriptPipeline batch, Pipeline round, PartitionWorker w, IntConsumer leaseLost) {
        Trouble t = w.trouble;
        String topic = t.topic;
        StreamCursor cursor = w.cursor(topic);
        int p = w.partition;
        if (t.poisonFound) {
            CompletableFuture<List<Object>> f = batch.eval(DEAD_LETTER,
                    List.of(stream(p, topic), keys.checkpoint(p), keys.lease(p), keys.dlq(p)),
                    leaseValue, consumer(), topic, cursor.position, t.error);
            round.steps.add(new Step(w, topic, 0, f, () -> round.progress[0] += onDeadLetter(w, topic, f.join(), leaseLost)));
            return;
        }
        boolean ops = "ops".equals(topic);
        CompletableFuture<List<Object>> f = fullApply(batch, w, ops ? cursor.position : "", ops ? "" : cursor.position,
                t.limit);
        round.steps.add(new Step(w, topic, t.limit, f, () -> round.progress[0] += replies.onApply(w, f.join(), leaseLost)));
    }

    /** Handles dead_letter_entry.lua's reply; returns the entries it disposed of. */
    private int onDeadLetter(PartitionWorker w, String topic, List<Object> reply, IntConsumer leaseLost) {
        String status = String.valueOf(reply.get(0));
        String id = reply.size() > 1 ? String.valueOf(reply.get(1)) : "";
        switch (status) {
            case "LEASE_LOST" -> {
                w.abandon();
                leaseLost.accept(w.partition);
                return 0;
            }
            case "DEAD" -> {
                MDC.put("partition", Integer.toString(w.partition));
                log.error("partition {}: poison entry {} of {} dead-lettered as script_error after its batch kept "
                        + "failing ({} failures); apply.lua raised: {}", w.partition, id, stream(w.partition, topic),
                        w.trouble.failures, w.trouble.error);
                MDC.remove("partition");
                metrics.poisonEntry(topic);
                metrics.deadLetters(topic, "script_error", 1);
                metrics.applied(topic, 1);
                w.trouble = null;
                halts.resume(w.partition);
                return 1;
            }
            case "ACKED" -> {
                metrics.redelivered(topic, 1);
                return 1; // an entry applied before: acknowledged; the next pending one is tried
            }
            case "GAP" -> {
                replies.onGap(w, topic);
                return 0;
            }
            default -> {
                // No pending entry after the cursor any more: read again from the start, narrowing on.
                w.trouble.poisonFound = false;
                w.restartRecovery();
                return 0;
            }
        }
    }

    /** The scripts and reads of one group of partitions, sent together, and what to do with each reply. */
    private static final class Pipeline {
        final List<Step> steps = new ArrayList<>();
        final List<Step> reads = new ArrayList<>();
        final int[] progress = {0};
        CompletableFuture<Void> executed;
        CompletableFuture<Void> completion;
        long started;
    }

    /** Queues a live partition's applies (batches in read order, ops and events each) and its next read. */
    private void queueLive(ScriptPipeline batch, Pipeline pipeline, PartitionWorker w, IntConsumer leaseLost) {
        List<Step> steps = pipeline.steps;
        int[] progress = pipeline.progress;
        int generation = w.generation;
        boolean[] stopped = new boolean[2]; // per stream: a batch was not applied, later ones wait for it
        for (ReadBatch b : w.opsBatches) {
            CounterFold fold = b.slow ? null : b.fold(series);
            if (fold == null) {
                if (!b.slow) {
                    metrics.perEntryBatch("entries");
                    b.slow = true;
                }
                CompletableFuture<List<Object>> f = fullApply(batch, w, b.cursorBefore(), "", b.size());
                steps.add(new Step(w, "ops", b.size(), f, () -> {
                    if (w.generation == generation && !stopped[0]) {
                        stopped[0] = !onQueuedFull(w, "ops", b, f.join(), leaseLost, progress);
                    }
                }));
            } else {
                CompletableFuture<List<Object>> f = fastApply(batch, w, b, fold);
                steps.add(new Step(w, "ops", b.size(), f, () -> {
                    if (w.generation == generation && !stopped[0]) {
                        stopped[0] = !onFast(w, b, fold, f.join(), leaseLost, progress);
                    }
                }));
            }
        }
        for (ReadBatch b : w.eventsBatches) {
            CompletableFuture<List<Object>> f = fullApply(batch, w, "", b.cursorBefore(), b.size());
            steps.add(new Step(w, "events", b.size(), f, () -> {
                if (w.generation == generation && !stopped[1]) {
                    stopped[1] = !onQueuedFull(w, "events", b, f.join(), leaseLost, progress);
                }
            }));
        }
        if (w.mayReadAhead() && !w.lastReadSmall(fastPathMinRead)) {
            // Sent by the read path (its own connection, or Redisson outside the batch: Redisson re-scans
            // a whole pipeline reply on every network read until all of it has arrived, which makes a
            // pipeline of large stream reads quadratic). Order against the applies does not matter: a
            // read takes new entries, and an apply checks its batch against the checkpoint. After a small
            // read there is no read-ahead: once its batch is applied, apply.lua reads again (see start).
            CompletableFuture<PartitionRead> f = reads.readNew(w.partition, batchSize);
            pipeline.reads.add(new Step(w, null, 0, f, () -> {
                if (w.generation == generation) {
                    pipeline.progress[0] += onRead(w, f.join());
                }
            }));
        }
    }

    private CompletableFuture<List<Object>> fullApply(ScriptPipeline batch, PartitionWorker w, String opsCursor,
                                                      String eventsCursor, int count) {
        return batch.eval(apply, applyKeys.get(w.partition),
                leaseValue, consumer(), w.partition, partitions, count, opsCursor, eventsCursor, windows, futureMs,
                maxFiringsPerCall);
    }

    private CompletableFuture<List<Object>> fastApply(ScriptPipeline batch, PartitionWorker w, ReadBatch b, CounterFold fold) {
        int p = w.partition;
        CounterFold.Buckets buckets = fold.buckets();
        return batch.eval(APPLY_COUNTERS, fastKeys.get(p),
                leaseValue, b.first(), b.last(), Long.toString(fold.bound()), b.joinedIds(), fold.pairs(),
                buckets.cells(), buckets.deadlines());
    }

    /** KEYS of apply_counters.lua for one partition. */
    static List<Object> fastKeys(Keys keys, int p) {
        return List.of(keys.ops(p), keys.counters(p), keys.checkpoint(p), keys.lease(p), keys.triggersByCounter(p),
                keys.seriesPrefix(p), keys.seriesIndex(p));
    }

    private int onRead(PartitionWorker w, PartitionRead read) {
        if (read.ops() != null) {
            w.opsBatches.add(read.ops());
        }
        if (read.events() != null) {
            w.eventsBatches.add(read.events());
        }
        w.lastRead = read.size();
        return read.size();
    }

    /** Handles the fast script's reply; returns true when the batch was applied (or found applied before). */
    private boolean onFast(PartitionWorker w, ReadBatch b, CounterFold fold, List<Object> reply, IntConsumer leaseLost,
                           int[] progress) {
        String status = String.valueOf(reply.get(0));
        switch (status) {
            case "OK" -> {
                int applied = Integer.parseInt(String.valueOf(reply.get(1)));
                int redelivered = Integer.parseInt(String.valueOf(reply.get(2)));
                w.opsBatches.remove(b);
                w.consecutiveGaps = 0;
                if (applied > 0) {
                    metrics.applied("ops", applied);
                    replies.recordLatency(b);
                    fold.buckets().late().forEach(metrics::lateWindowEntries);
                }
                if (redelivered > 0) {
                    metrics.redelivered("ops", redelivered);
                }
                progress[0] += b.size();
                return true;
            }
            case "SLOW" -> {
                log.debug("partition {}: batch {}..{} goes to the per-entry script ({})", w.partition, b.first(),
                        b.last(), reply.size() > 1 ? reply.get(1) : "");
                b.slow = true;
                metrics.perEntryBatch(reply.size() > 1 ? String.valueOf(reply.get(1)) : "unknown");
                progress[0]++;
                return false;
            }
            case "GAP" -> {
                replies.onGap(w, "ops");
                return false;
            }
            default -> {
                w.abandon();
                leaseLost.accept(w.partition);
                return false;
            }
        }
    }

    /** Handles apply.lua's reply for a batch read ahead; returns true when the batch is done. */
    private boolean onQueuedFull(PartitionWorker w, String topic, ReadBatch b, List<Object> reply,
                                 IntConsumer leaseLost, int[] progress) {
        if ("LEASE_LOST".equals(reply.get(0))) {
            w.abandon();
            leaseLost.accept(w.partition);
            return false;
        }
        int at = "ops".equals(topic) ? 1 : 1 + ScriptReplies.STREAM_FIELDS;
        String state = String.valueOf(reply.get(at));
        progress[0] += replies.onApply(w, reply, leaseLost);
        if (state.equals("OK")) {
            w.batches(topic).remove(b);
            progress[0] += b.size();
            return true;
        }
        return false;
    }

    /**
     * A partition's queued script (or read) and what to do with its reply. {@code topic} is the stream
     * it applies (null: both), {@code size} the most entries it may apply (0: it applies none, e.g. a claim).
     */
    private record Step(PartitionWorker worker, String topic, int size, CompletableFuture<?> reply, Runnable handler) {
    }

    /** KEYS of apply.lua for one partition, in the order the script documents (public for script tests elsewhere). */
    public static List<Object> applyKeys(Keys keys, int p) {
        return List.of(keys.ops(p), keys.events(p), keys.counters(p), keys.checkpoint(p), keys.lease(p), keys.dlq(p),
                keys.triggers(p), keys.firings(p), keys.triggersByEvent(p), keys.triggersByCounter(p),
                keys.hllPrefix(p), keys.hllBucketPrefix(p), keys.seriesPrefix(p), keys.seriesIndex(p));
    }

    private String stream(int partition, String topic) {
        return "ops".equals(topic) ? keys.ops(partition) : keys.events(partition);
    }

    private String consumer() {
        return leaseValue;
    }
}
