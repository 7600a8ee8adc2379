package io.tally.processor.internal.apply;

import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.batch.CounterFold;
import io.tally.processor.internal.batch.PartitionRead;
import io.tally.processor.internal.batch.ReadBatch;
import io.tally.processor.internal.batch.SeriesRules;
import io.tally.processor.internal.transport.HotPath;
import io.tally.processor.internal.transport.ScriptPipeline;
import io.tally.processor.internal.transport.StreamReads;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntConsumer;

/**
 * Builds and sends one group's pipeline: per partition that may work now, a claim while it recovers
 * its streams, a narrowing step while a failure is being narrowed to its entry, apply.lua reading and
 * applying in one call while recovering (or live after a small read), else the fast path: the applies of
 * the batches read ahead, in read order, and the next read ahead. Each step carries its reply's handler.
 */
final class RoundBuilder {
    private final ApplyScripts scripts;
    private final HotPath.Clients hotPath;
    private final StreamReads reads;
    private final ScriptReplies replies;
    private final ReadAheadReplies readAhead;
    private final PoisonNarrowing poison;
    private final ProcessorListener metrics;
    private final SeriesRules series;
    private final int batchSize;
    private final int fastPathMinRead;

    RoundBuilder(ApplyScripts scripts, HotPath.Clients hotPath, ScriptReplies replies, ReadAheadReplies readAhead,
                 PoisonNarrowing poison, ProcessorListener metrics, SeriesRules series, int batchSize,
                 int fastPathMinRead) {
        this.scripts = scripts;
        this.hotPath = hotPath;
        this.reads = hotPath.reads();
        this.replies = replies;
        this.readAhead = readAhead;
        this.poison = poison;
        this.metrics = metrics;
        this.series = series;
        this.batchSize = batchSize;
        this.fastPathMinRead = fastPathMinRead;
    }

    /** Sends one pipeline for the workers of group {@code group}; null when none has anything to do. */
    RoundPipeline start(Collection<PartitionWorker> workers, int group, IntConsumer leaseLost) {
        ScriptPipeline batch = hotPath.pipeline();
        RoundPipeline round = new RoundPipeline();
        long now = System.nanoTime();
        for (PartitionWorker w : workers) {
            if (w.partition % ApplyRound.GROUPS != group || w.paused(now)) {
                continue;
            }
            queue(batch, round, w, leaseLost);
        }
        if (round.steps.isEmpty() && round.reads.isEmpty()) {
            return null;
        }
        send(batch, round);
        return round;
    }

    /** Queues what one partition does this round. */
    private void queue(ScriptPipeline batch, RoundPipeline round, PartitionWorker w, IntConsumer leaseLost) {
        StreamCursor claiming = w.claiming();
        if (claiming != null) {
            CompletableFuture<List<Object>> f = scripts.claim(batch, w.partition, claiming);
            round.steps.add(new RoundPipeline.Step(w, claiming.topic, 0, f,
                    () -> replies.onClaim(w, claiming, f.join(), leaseLost)));
        } else if (w.trouble != null && w.trouble.narrowing && poison.stillNarrowing(w)) {
            poison.queue(batch, round, w, leaseLost);
        } else if (!w.live() || w.scriptReads(fastPathMinRead)) {
            // Recovering, or a live partition at a moderate rate: apply.lua reads and applies in one
            // call, one round trip from append to apply.
            CompletableFuture<List<Object>> f = scripts.fullApply(batch, w.partition, w.ops.readCursor(),
                    w.events.readCursor(), batchSize);
            round.steps.add(new RoundPipeline.Step(w, null, batchSize, f, () -> {
                int read = replies.onApply(w, f.join(), leaseLost);
                w.lastRead = read;
                round.progress[0] += read;
            }));
        } else {
            queueLive(batch, round, w, leaseLost);
        }
    }

    /** Sends the round's scripts; its completion waits for them and for every read. */
    private static void send(ScriptPipeline batch, RoundPipeline round) {
        round.started = System.nanoTime();
        List<CompletableFuture<?>> pending = new ArrayList<>(round.reads.size() + 1);
        if (!round.steps.isEmpty()) {
            round.executed = batch.execute();
            pending.add(round.executed);
        }
        round.reads.forEach(read -> pending.add(read.reply()));
        round.completion = CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new));
    }

    /** Queues a live partition's applies (batches in read order, ops and events each) and its next read. */
    private void queueLive(ScriptPipeline batch, RoundPipeline round, PartitionWorker w, IntConsumer leaseLost) {
        int generation = w.generation;
        boolean[] stopped = new boolean[2]; // per stream: a batch was not applied, later ones wait for it
        queueOps(batch, round, w, leaseLost, generation, stopped);
        queueEvents(batch, round, w, leaseLost, generation, stopped);
        if (w.mayReadAhead() && !w.lastReadSmall(fastPathMinRead)) {
            queueRead(round, w, generation);
        }
    }

    private void queueOps(ScriptPipeline batch, RoundPipeline round, PartitionWorker w, IntConsumer leaseLost,
                          int generation, boolean[] stopped) {
        List<RoundPipeline.Step> steps = round.steps;
        int[] progress = round.progress;
        for (ReadBatch b : w.opsBatches) {
            CounterFold fold = b.slow ? null : b.fold(series);
            if (fold == null) {
                if (!b.slow) {
                    metrics.perEntryBatch("entries");
                    b.slow = true;
                }
                CompletableFuture<List<Object>> f = scripts.fullApply(batch, w.partition, b.cursorBefore(), "", b.size());
                steps.add(new RoundPipeline.Step(w, "ops", b.size(), f, () -> {
                    if (w.generation == generation && !stopped[0]) {
                        stopped[0] = !readAhead.onQueuedFull(w, "ops", b, f.join(), leaseLost, progress);
                    }
                }));
            } else {
                CompletableFuture<List<Object>> f = scripts.fastApply(batch, w.partition, b, fold);
                steps.add(new RoundPipeline.Step(w, "ops", b.size(), f, () -> {
                    if (w.generation == generation && !stopped[0]) {
                        stopped[0] = !readAhead.onFast(w, b, fold, f.join(), leaseLost, progress);
                    }
                }));
            }
        }
    }

    private void queueEvents(ScriptPipeline batch, RoundPipeline round, PartitionWorker w, IntConsumer leaseLost,
                             int generation, boolean[] stopped) {
        List<RoundPipeline.Step> steps = round.steps;
        int[] progress = round.progress;
        for (ReadBatch b : w.eventsBatches) {
            CompletableFuture<List<Object>> f = scripts.fullApply(batch, w.partition, "", b.cursorBefore(), b.size());
            steps.add(new RoundPipeline.Step(w, "events", b.size(), f, () -> {
                if (w.generation == generation && !stopped[1]) {
                    stopped[1] = !readAhead.onQueuedFull(w, "events", b, f.join(), leaseLost, progress);
                }
            }));
        }
    }

    /**
     * Queues the partition's next read. It is sent by the read path (its own connection, or Redisson
     * outside the batch: Redisson re-scans a whole pipeline reply on every network read until all of it
     * has arrived, which makes a pipeline of large stream reads quadratic). Order against the applies does
     * not matter: a read takes new entries, and an apply checks its batch against the checkpoint. After a
     * small read there is no read-ahead: once its batch is applied, apply.lua reads again (see queue).
     */
    private void queueRead(RoundPipeline round, PartitionWorker w, int generation) {
        CompletableFuture<PartitionRead> f = reads.readNew(w.partition, batchSize);
        round.reads.add(new RoundPipeline.Step(w, null, 0, f, () -> {
            if (w.generation == generation) {
                round.progress[0] += readAhead.onRead(w, f.join());
            }
        }));
    }
}
