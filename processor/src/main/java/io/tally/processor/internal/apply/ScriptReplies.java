package io.tally.processor.internal.apply;

import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.batch.ReadBatch;
import io.tally.processor.internal.halt.PartitionHalts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.List;
import java.util.function.IntConsumer;

/**
 * What the processor does with the replies of claim.lua and apply.lua: moves cursors, starts recovery
 * after a gap, halts a partition on an unknown format version, and turns the scripts' summaries (dead
 * letters, firings, series, entry times) into metrics and log lines.
 */
final class ScriptReplies {
    private static final Logger log = LoggerFactory.getLogger(ScriptReplies.class);
    /** Fields apply.lua returns per input stream. */
    static final int STREAM_FIELDS = 8;

    private final ProcessorListener metrics;
    private final PartitionHalts halts;

    ScriptReplies(ProcessorListener metrics, PartitionHalts halts) {
        this.metrics = metrics;
        this.halts = halts;
    }

    void onClaim(PartitionWorker w, StreamCursor cursor, List<Object> reply, IntConsumer leaseLost) {
        if ("LEASE_LOST".equals(reply.get(0))) {
            leaseLost.accept(w.partition);
            return;
        }
        String next = String.valueOf(reply.get(1));
        if (reply.size() > 3) {
            List<Object> deleted = reply.subList(3, reply.size());
            metrics.lost(cursor.topic, deleted.size());
            log.error("partition {}: {} pending {} entries were deleted from the stream before they were applied "
                    + "and are lost: {}", w.partition, deleted.size(), cursor.topic, deleted);
        }
        cursor.claimed(next);
    }

    int onApply(PartitionWorker w, List<Object> reply, IntConsumer leaseLost) {
        if ("LEASE_LOST".equals(reply.get(0))) {
            leaseLost.accept(w.partition);
            return 0;
        }
        int read = 0;
        String version = w.haltedBy;
        read += onStream(w, w.ops, reply, 1);
        read += onStream(w, w.events, reply, 1 + STREAM_FIELDS);
        if (version != null && w.haltedBy != null && w.versionRecheckAt == 0 && passed(reply)) {
            // Re-checked and nothing stops it any more: the entry was removed, or is acknowledged.
            w.haltedBy = null;
            halts.resume(w.partition);
        }
        if (reply.size() > 1 + 2 * STREAM_FIELDS) {
            recordFirings(String.valueOf(reply.get(1 + 2 * STREAM_FIELDS)));
        }
        if (reply.size() > 2 + 2 * STREAM_FIELDS) {
            recordSeries(w.partition, String.valueOf(reply.get(2 + 2 * STREAM_FIELDS)));
        }
        return read;
    }

    /** Neither stream of the reply is stopped by a version or a gap. */
    private static boolean passed(List<Object> reply) {
        for (int at : new int[] {1, 1 + STREAM_FIELDS}) {
            String state = String.valueOf(reply.get(at));
            if (state.equals("GAP") || state.startsWith("VERSION:")) {
                return false;
            }
        }
        return true;
    }

    private int onStream(PartitionWorker w, StreamCursor cursor, List<Object> reply, int at) {
        String state = String.valueOf(reply.get(at));
        if (state.equals("IDLE")) {
            return 0; // not asked to read this stream: its cursor stays where it is
        }
        int read = Integer.parseInt(String.valueOf(reply.get(at + 1)));
        String last = String.valueOf(reply.get(at + 5));
        if (state.equals("GAP")) {
            onGap(w, cursor.topic);
            return read;
        }
        if (state.startsWith("VERSION:")) {
            onVersion(w, cursor.topic, state.substring("VERSION:".length()), last);
        }
        if (!state.equals("IDLE")) {
            w.consecutiveGaps = 0;
        }
        recordCounts(w.partition, cursor.topic, reply, at);
        cursor.read(read, last);
        if (state.startsWith("MORE")) {
            // a budget stopped the batch at `last`: the rest was read but not applied, so it is this consumer's
            // pending list that holds it next
            if (state.equals("MORE")) {
                metrics.firingBudgetReached(w.partition);
            } else {
                metrics.triggerBudgetReached(w.partition);
            }
            cursor.pendingAfter(last);
        }
        return read;
    }

    /** An entry of an unknown format version after {@code last} halts the partition; logged once per halt. */
    private void onVersion(PartitionWorker w, String topic, String version, String last) {
        boolean first = w.haltedBy == null;
        w.haltOnVersion(version, System.nanoTime());
        String after = last.isEmpty() ? "the checkpoint" : last;
        halts.halt(w.partition, PartitionHalts.UNKNOWN_VERSION,
                topic + " entry after " + after + " has version '" + version + "'");
        if (first) {
            MDC.put("partition", Integer.toString(w.partition));
            log.error("partition {}: {} entry after {} has wire format version '{}', this processor understands "
                    + "only version 1; the partition is stopped until an upgraded processor takes it over or the "
                    + "entry is removed (checked again every {} s)", w.partition, topic, after, version,
                    PartitionWorker.VERSION_RECHECK_SECONDS);
            MDC.remove("partition");
        }
    }

    /** One stream's applied, redelivered and lost entries, dead letters and entry times, as metrics. */
    private void recordCounts(int partition, String topic, List<Object> reply, int at) {
        int applied = Integer.parseInt(String.valueOf(reply.get(at + 2)));
        int redelivered = Integer.parseInt(String.valueOf(reply.get(at + 3)));
        int deleted = Integer.parseInt(String.valueOf(reply.get(at + 4)));
        if (applied > 0) {
            metrics.applied(topic, applied);
            recordDeadLetters(topic, String.valueOf(reply.get(at + 6)));
            recordLatency(String.valueOf(reply.get(at + 7)));
        }
        if (redelivered > 0) {
            metrics.redelivered(topic, redelivered);
        }
        if (deleted > 0) {
            metrics.lost(topic, deleted);
            log.error("partition {}: {} pending {} entries were deleted before they were applied and are lost",
                    partition, deleted, topic);
        }
    }

    void onGap(PartitionWorker w, String topic) {
        w.consecutiveGaps++;
        metrics.gap(w.partition);
        if (w.consecutiveGaps > 3) {
            log.warn("partition {}: {} after checkpoint is still out of reach after {} recoveries; an entry after "
                    + "the checkpoint is neither pending nor deliverable (acknowledged outside Tally?)",
                    w.partition, topic, w.consecutiveGaps);
        } else {
            log.info("partition {}: {} batch does not follow the checkpoint; claiming every pending entry and "
                    + "re-reading from the start", w.partition, topic);
        }
        w.restartRecovery();
    }

    private void recordDeadLetters(String topic, String summary) {
        if (summary.isEmpty()) {
            return;
        }
        for (String part : summary.split(",")) {
            int eq = part.indexOf('=');
            metrics.deadLetters(topic, part.substring(0, eq), Integer.parseInt(part.substring(eq + 1)));
        }
    }

    private void recordFirings(String summary) {
        if (summary.isEmpty()) {
            return;
        }
        for (String part : summary.split(",")) {
            int eq = part.indexOf('=');
            metrics.triggersFired(part.substring(0, eq), Integer.parseInt(part.substring(eq + 1)));
        }
    }

    /**
     * Late entries (counted in the total only), entries with far-future ids (bucketed by ts or Redis time),
     * bucket sums that left the 64-bit range and bucket cells that hold no integer, by window.
     */
    private void recordSeries(int partition, String summary) {
        if (summary.isEmpty()) {
            return;
        }
        for (String part : summary.split(",")) {
            int dot = part.indexOf('.');
            int eq = part.indexOf('=');
            String window = part.substring(dot + 1, eq);
            int n = Integer.parseInt(part.substring(eq + 1));
            if (part.startsWith("late.")) {
                metrics.lateWindowEntries(window, n);
            } else if (part.startsWith("future.")) {
                metrics.futureWindowEntries(window, n);
            } else if (part.startsWith("not_integer.")) {
                log.warn("partition {}: {} series bucket cells of window {} hold a value that is not an integer "
                        + "(written by someone else); those bucket deltas were not added (the totals were)", partition,
                        n, window);
            } else {
                log.warn("partition {}: {} series bucket sums of window {} would leave the signed 64-bit range; "
                        + "those bucket deltas were not added (the totals were)", partition, n, window);
            }
        }
    }

    /** End-to-end latency of entries applied by the fast script, from the millisecond part of their ids. */
    void recordLatency(ReadBatch b) {
        long now = System.currentTimeMillis();
        long ms = b.millis(0);
        int same = 0;
        for (int i = 0; i < b.size(); i++) {
            long idMs = b.millis(i);
            if (idMs != ms) {
                metrics.endToEnd(Math.max(0, now - ms), same);
                ms = idMs;
                same = 0;
            }
            same++;
        }
        metrics.endToEnd(Math.max(0, now - ms), same);
    }

    private void recordLatency(String stamps) {
        if (stamps.isEmpty()) {
            return;
        }
        long now = System.currentTimeMillis();
        for (String part : stamps.split(",")) {
            int colon = part.indexOf(':');
            long ms = Long.parseLong(part.substring(0, colon));
            metrics.endToEnd(Math.max(0, now - ms), Integer.parseInt(part.substring(colon + 1)));
        }
    }
}
