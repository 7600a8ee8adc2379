package io.tally.processor.internal.apply;

import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.Namespace;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.halt.PartitionHalts;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Handles a completed pipeline: runs each step's reply handler in order, isolates a failed script to its
 * partition ({@link PoisonNarrowing}), loads the scripts again when Redis forgot them, and throws what
 * the loop must handle (every step failed, or a consumer group is gone).
 */
final class RoundReplies {
    private static final Logger log = LoggerFactory.getLogger(RoundReplies.class);

    private final RedissonClient redis;
    private final ApplyScripts scripts;
    private final ProcessorListener metrics;
    private final PartitionHalts halts;
    private final PoisonNarrowing poison;

    RoundReplies(RedissonClient redis, ApplyScripts scripts, ProcessorListener metrics, PartitionHalts halts,
                 PoisonNarrowing poison) {
        this.redis = redis;
        this.scripts = scripts;
        this.metrics = metrics;
        this.halts = halts;
        this.poison = poison;
    }

    /** Waits for a pipeline and runs its handlers in order; throws when every step failed. */
    int finish(RoundPipeline round) {
        RuntimeException failure = awaitAll(round);
        metrics.round(System.nanoTime() - round.started, round.steps.size() + round.reads.size());
        // Each worker's applies run before its read: the read appends to the queue the applies drain.
        List<RoundPipeline.Step> steps = new ArrayList<>(round.steps);
        int scriptSteps = steps.size();
        steps.addAll(round.reads);
        int failed = 0;
        int isolated = 0;
        Set<PartitionWorker> troubled = new HashSet<>();
        long now = System.nanoTime();
        for (int i = 0; i < steps.size(); i++) {
            RoundPipeline.Step step = steps.get(i);
            if (step.reply().isCompletedExceptionally() || !step.reply().isDone()) {
                failed++;
                RuntimeException error = step.reply().isDone() ? await(step.reply()) : null;
                // A read refused on a key of the partition (another type at one of its streams) backs the
                // partition off like a refused script; a read Redis refuses as a whole (READONLY, OOM, a lost
                // consumer group) stays the loop's, which reports not ready and restores what it can.
                if (error != null && (i < scriptSteps || WrongTypeRefusal.is(error))
                        && poison.onScriptFailure(step, error, troubled, now)) {
                    isolated++;
                }
                continue;
            }
            if (troubled.contains(step.worker())) {
                continue; // the partition starts over after its failure: a later step's reply is void
            }
            step.handler().run();
            // Redis accepts the partition's scripts again once one that reads or applies its entries runs (a
            // claim of its pending entries may run where the apply it leads to is refused again)
            if (step.worker().trouble != null && !step.worker().trouble.narrowing && i < scriptSteps && step.size() > 0) {
                step.worker().trouble = null;
                halts.resume(step.worker().partition);
            }
        }
        report(failure, failed, isolated, steps.size());
        return round.progress[0];
    }

    /** Waits for the scripts and every read; returns the first failure, or null. */
    private RuntimeException awaitAll(RoundPipeline round) {
        RuntimeException failure = null;
        if (round.executed != null) {
            failure = await(round.executed);
            if (failure != null && LuaScript.isNoScript(failure)) {
                log.info("Redis forgot the scripts (restart or failover); loading them again");
                scripts.load(redis);
            }
        }
        for (RoundPipeline.Step read : round.reads) {
            RuntimeException e = await(read.reply());
            failure = failure == null ? e : failure;
        }
        return failure;
    }

    /** Throws a failure no partition's back-off handles; logs the steps that failed without one. */
    private static void report(RuntimeException failure, int failed, int isolated, int steps) {
        if (failure != null && ((failed == steps && isolated < failed) || Namespace.isNoGroup(failure))
                && !LuaScript.isNoScript(failure)) {
            throw failure; // NOGROUP: the loop restores the lost consumer group at once (RedisStateGuard)
        }
        if (failure != null && isolated < failed && !LuaScript.isNoScript(failure)) {
            log.error("{} of {} steps failed this round: {}", failed - isolated, steps, failure.toString());
        }
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
}
