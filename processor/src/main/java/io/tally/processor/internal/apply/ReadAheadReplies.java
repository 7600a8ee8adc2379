package io.tally.processor.internal.apply;

import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.batch.CounterFold;
import io.tally.processor.internal.batch.PartitionRead;
import io.tally.processor.internal.batch.ReadBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.IntConsumer;

/**
 * What the fast path does with its replies: a read ahead queues its batches on the partition, and the
 * reply of the script that applied a queued batch (the fast script, or apply.lua for a batch it cannot
 * decide) takes the batch off the queue once it is applied.
 */
final class ReadAheadReplies {
    private static final Logger log = LoggerFactory.getLogger(ReadAheadReplies.class);

    private final ProcessorListener metrics;
    private final ScriptReplies replies;

    ReadAheadReplies(ProcessorListener metrics, ScriptReplies replies) {
        this.metrics = metrics;
        this.replies = replies;
    }

    /** Queues what a read ahead returned; returns the entries read. */
    int onRead(PartitionWorker w, PartitionRead read) {
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
    boolean onFast(PartitionWorker w, ReadBatch b, CounterFold fold, List<Object> reply, IntConsumer leaseLost,
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
    boolean onQueuedFull(PartitionWorker w, String topic, ReadBatch b, List<Object> reply,
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
}
