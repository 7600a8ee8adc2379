package io.tally.processor.internal.apply;

import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.halt.PartitionHalts;
import io.tally.processor.internal.transport.ScriptPipeline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * A partition whose script failed: it backs off and starts over from its pending entries; after a
 * script error it narrows its batches towards the entry that causes it, and dead-letters that entry
 * once a batch of one fails. The other partitions go on meanwhile.
 */
final class PoisonNarrowing {
    private static final Logger log = LoggerFactory.getLogger(PoisonNarrowing.class);

    private final ProcessorListener metrics;
    private final PartitionHalts halts;
    private final ApplyScripts scripts;
    private final ScriptReplies replies;

    PoisonNarrowing(ProcessorListener metrics, PartitionHalts halts, ApplyScripts scripts, ScriptReplies replies) {
        this.metrics = metrics;
        this.halts = halts;
        this.scripts = scripts;
        this.replies = replies;
    }

    /**
     * A script of one partition failed with an error reply: the partition backs off (the others go on)
     * and starts over from its pending entries; a script error also narrows the batch towards the entry
     * that causes it. Returns false for a failure that is not the partition's (no reply, NOSCRIPT), which
     * the loop handles. One failure per partition and round counts.
     */
    boolean onScriptFailure(RoundPipeline.Step step, RuntimeException error, Set<PartitionWorker> troubled, long now) {
        ScriptFailure kind = ScriptFailure.of(error);
        if (kind == ScriptFailure.CONNECTION) {
            return false;
        }
        PartitionWorker w = step.worker();
        if (!troubled.add(w)) {
            return true;
        }
        boolean entryMayBeAtFault = kind == ScriptFailure.SCRIPT_ERROR && step.size() > 0;
        metrics.applyFailure(kind == ScriptFailure.SCRIPT_ERROR ? "script_error" : "redis_refused");
        String text = ScriptFailure.text(error);
        if (w.trouble == null || entryMayBeAtFault && !w.trouble.narrowing) {
            w.trouble = new Trouble(entryMayBeAtFault, step.topic(), step.size());
        }
        Trouble t = w.trouble;
        t.failed(text, now, entryMayBeAtFault);
        w.restartRecovery();
        String reason = kind == ScriptFailure.SCRIPT_ERROR ? PartitionHalts.POISON_RETRYING : PartitionHalts.REDIS_REFUSED;
        halts.halt(w.partition, reason, text);
        logFailure(w.partition, kind, t, text);
        return true;
    }

    private static void logFailure(int partition, ScriptFailure kind, Trouble t, String text) {
        long backoffMs = TimeUnit.NANOSECONDS.toMillis(t.backoffNanos);
        if (kind == ScriptFailure.REDIS_REFUSED) {
            log.warn("partition {}: its script was refused ({}); not an entry's fault: retrying in {} ms, "
                    + "nothing is dead-lettered for it", partition, text, backoffMs);
        } else if (!t.narrowing) {
            log.warn("partition {}: script failed ({}); retrying in {} ms", partition, text, backoffMs);
        } else if (t.poisonFound) {
            log.warn("partition {}: a batch of one {} entry failed ({}); dead-lettering it in {} ms", partition,
                    t.topic, text, backoffMs);
        } else {
            log.warn("partition {}: {} batch failed ({}, failure {}); retrying in {} ms with at most {} entries",
                    partition, t.topic, text, t.failures, backoffMs, t.limit);
        }
    }

    /**
     * Whether the partition still narrows: its stream under test has pending entries left, or the other
     * one has (then it is tested next). Once both read past their pending entries without failing, the
     * failure did not come back and the partition resumes.
     */
    boolean stillNarrowing(PartitionWorker w) {
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
    void queue(ScriptPipeline batch, RoundPipeline round, PartitionWorker w, IntConsumer leaseLost) {
        Trouble t = w.trouble;
        String topic = t.topic;
        StreamCursor cursor = w.cursor(topic);
        int p = w.partition;
        if (t.poisonFound) {
            CompletableFuture<List<Object>> f = scripts.deadLetter(batch, p, topic, cursor.position, t.error);
            round.steps.add(new RoundPipeline.Step(w, topic, 0, f,
                    () -> round.progress[0] += onDeadLetter(w, topic, f.join(), leaseLost)));
            return;
        }
        boolean ops = "ops".equals(topic);
        CompletableFuture<List<Object>> f = scripts.fullApply(batch, p, ops ? cursor.position : "",
                ops ? "" : cursor.position, t.limit);
        round.steps.add(new RoundPipeline.Step(w, topic, t.limit, f,
                () -> round.progress[0] += replies.onApply(w, f.join(), leaseLost)));
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
                onDead(w, topic, id);
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

    /** The poison entry is dead-lettered: the partition resumes. */
    private void onDead(PartitionWorker w, String topic, String id) {
        MDC.put("partition", Integer.toString(w.partition));
        log.error("partition {}: poison entry {} of {} dead-lettered as script_error after its batch kept "
                + "failing ({} failures); apply.lua raised: {}", w.partition, id, scripts.stream(w.partition, topic),
                w.trouble.failures, w.trouble.error);
        MDC.remove("partition");
        metrics.poisonEntry(topic);
        metrics.deadLetters(topic, "script_error", 1);
        metrics.applied(topic, 1);
        w.trouble = null;
        halts.resume(w.partition);
    }
}
