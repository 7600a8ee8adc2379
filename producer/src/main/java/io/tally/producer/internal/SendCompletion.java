package io.tally.producer.internal;

import io.tally.common.config.Acks;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.RedisErrorCode;
import io.tally.producer.DuplicateIdConflictException;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyException;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisResponseTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Completes the sends of a pipeline from its replies (Kafka's batch completion): each stream's entry
 * ids, duplicates and conflicts, and for a call that failed, which of its sends go again (with the
 * same session numbers when an attempt may have written them) and which fail, and how.
 */
final class SendCompletion {
    private static final Logger log = LoggerFactory.getLogger(SendCompletion.class);
    private static final byte DUPLICATE = 1;
    private static final byte CONFLICT = 2;

    private final RedissonClient redis;
    private final SendAccumulator accumulator;
    private final StreamKeys streamKeys;
    /** Null when producer-idempotence is off. */
    private final StreamSequences sequences;
    private final ProducerMetrics metrics;
    private final Acks acks;
    private final long sendTimeoutMs;

    SendCompletion(RedissonClient redis, SendAccumulator accumulator, StreamKeys streamKeys, StreamSequences sequences,
                   ProducerMetrics metrics, Acks acks, long sendTimeoutMs) {
        this.redis = redis;
        this.accumulator = accumulator;
        this.streamKeys = streamKeys;
        this.sequences = sequences;
        this.metrics = metrics;
        this.acks = acks;
        this.sendTimeoutMs = sendTimeoutMs;
    }

    /**
     * Completes each send of a pipeline; returns those to send again: after a retriable error, every send
     * with producer sessions (else the idempotent ones), and all of a stream's sends when its script was
     * missing or the call never left (nothing was written).
     */
    List<PendingSend> complete(List<StreamGroup> groups, Throwable error) {
        Throwable cause = SendErrors.unwrap(error);
        loadIfForgotten(groups, cause);
        List<PendingSend> retry = new ArrayList<>();
        for (StreamGroup group : groups) {
            if (SendErrors.replied(group.reply) && doneWithReply(group, cause)) {
                // the script replied, so its entries are on the master; only a replica's copy is in doubt
                boolean unconfirmed = acks == Acks.REPLICAS && group.confirmedReplicas < 1;
                completeAll(group, group.reply.join(), unconfirmed);
                continue;
            }
            Throwable own = group.reply == null ? null : SendErrors.failure(group.reply);
            // only the call's own error reply tells what it did; another call's error, or a pipeline whose
            // WAIT failed after this call replied, says nothing about this call
            boolean ownReply = own != null;
            if (!ownReply) {
                own = cause != null ? cause : new RedisResponseTimeoutException("the pipeline ended without a reply for "
                        + group.sends.size() + " sends to " + streamKeys.stream(group.topic, group.partition));
            }
            if (group.session() != null) {
                failedInSession(group, own, ownReply, retry);
                continue;
            }
            failedWithoutSession(group, own, ownReply, retry);
        }
        return retry;
    }

    /**
     * Whether a stream whose script replied is done with that reply. With acks=leader it is, whatever happened
     * to the rest of the pipeline (its entries are written). With acks=replicas each call is a Redisson batch of
     * its own with its own WAIT, so another call's failure says nothing about it: it is done when its replica
     * confirmed it, or when it has no session to go again in (its entries are on the master; unconfirmed, its
     * outcome is unknown). In a session an unconfirmed call after a failure goes again as it was: the script
     * answers repeats, and its WAIT is asked again.
     */
    private boolean doneWithReply(StreamGroup group, Throwable cause) {
        return acks == Acks.LEADER || cause == null || group.confirmedReplicas >= 1 || group.session() == null;
    }

    /** A restarted or promoted master has no scripts; loads them without blocking this Redisson thread. */
    private void loadIfForgotten(List<StreamGroup> groups, Throwable cause) {
        boolean noScript = cause != null && LuaScript.isNoScript(cause);
        for (StreamGroup group : groups) {
            Throwable own = group.reply == null ? null : SendErrors.failure(group.reply);
            noScript |= own != null && LuaScript.isNoScript(own);
        }
        if (noScript) {
            SenderLoop.APPEND_RUNS.loadAsync(redis);
        }
    }

    /**
     * A stream's call without a session failed: its sends go again when nothing was written (no script,
     * never left, or the call's own reply refused its dedupe buckets), or after a retriable error when they
     * may repeat (producer sessions, or an id).
     */
    private void failedWithoutSession(StreamGroup group, Throwable own, boolean ownReply, List<PendingSend> retry) {
        boolean nothingWritten = LuaScript.isNoScript(own) || own instanceof NotSentException
                || ownReply && own instanceof DedupeBucketRefusal;
        boolean again = nothingWritten || SendErrors.retriable(own);
        for (PendingSend send : group.sends) {
            if (!expired(send) && (nothingWritten || ((sequences != null || send.idempotent()) && again))) {
                retry.add(send);
            } else if (sequences != null) {
                fail(send, own, send.maybeWritten); // this call never left
            } else {
                fail(send, own);
            }
        }
    }

    /**
     * A numbered stream's call failed. Refused for its session (SEQGAP, NOSESSION: this call wrote
     * nothing): the stream takes a new session, see {@link #refusedForSession}. Known not written by
     * any attempt: they go again with new numbers, or fail as not written. Else some attempt may have
     * written them: they go again as the same batch with the same session and numbers, so that the script
     * drops what it wrote and answers with the entry ids. A send past send-timeout-ms fails then (outcome
     * unknown) but still goes with the batch, which keeps the numbers consecutive and the batch the same;
     * once every send of it has failed the stream leaves its session, where it stands there can no longer
     * be known.
     */
    private void failedInSession(StreamGroup group, Throwable own, boolean ownReply, List<PendingSend> retry) {
        List<PendingSend> sends = group.sends;
        String code = ownReply ? RedisErrorCode.of(own.getMessage()) : "";
        if (code.equals("SEQGAP") || code.equals("NOSESSION")) {
            refusedForSession(group, own, code, retry);
            return;
        }
        // an error reply to the call itself: the script did not run, or refused before its first write
        boolean thisAttemptWroteNothing = ownReply && (own instanceof NotSentException || !code.isEmpty());
        if (!thisAttemptWroteNothing) {
            sends.forEach(send -> send.maybeWritten = true);
        }
        boolean again = !thisAttemptWroteNothing || SendErrors.retriable(own);
        if (sends.stream().noneMatch(send -> send.maybeWritten)) {
            sequences.rollBack(group, 0);
            for (PendingSend send : sends) {
                if (again && !expired(send)) {
                    retry.add(send);
                } else {
                    fail(send, own, false);
                }
            }
            return;
        }
        boolean pending = false;
        for (PendingSend send : sends) {
            if (!send.future.isDone() && (!again || expired(send))) {
                fail(send, own, send.maybeWritten);
            }
            pending |= !send.future.isDone();
        }
        if (pending) {
            retry.addAll(sends);
        } else {
            sequences.retire(group);
        }
    }

    /**
     * SEQGAP or NOSESSION: this call wrote nothing, and Redis no longer holds where the stream stood in its
     * session (it lost entries, forgot the session, or never knew it), so the stream takes a new session.
     * A send that no attempt may have written goes again there as new. One that an earlier attempt may
     * have written (its reply was lost) cannot be told from a new send in another session: with an
     * operation id it goes again (its dedupe key makes it a duplicate if it is there), a plain one fails
     * as outcome unknown rather than risk being written twice.
     */
    private void refusedForSession(StreamGroup group, Throwable own, String code, List<PendingSend> retry) {
        if (code.equals("SEQGAP")) {
            log.warn("producer: {} lost entries this producer wrote before (a failover or a restart without "
                    + "persistence?); moving to a new session (a send without an id that may have been written "
                    + "fails as outcome unknown): {}", streamKeys.stream(group.topic, group.partition), own.getMessage());
        } else {
            log.debug("producer: {}: {}; moving to a new session", streamKeys.stream(group.topic, group.partition),
                    own.getMessage());
        }
        sequences.retire(group);
        for (PendingSend send : group.sends) {
            if (send.future.isDone()) {
                continue; // failed on an earlier attempt; it went along only to keep the batch the same
            }
            if (send.maybeWritten && !send.idempotent()) {
                metrics.sent(send.topicName(), "unknown", System.nanoTime() - send.createdNanos);
                metrics.failed(send.topicName(), SendFailureReason.SESSION_LOST);
                send.future.completeExceptionally(SendErrors.sessionLost(send, streamKeys, own));
                accumulator.finished(send);
            } else if (!expired(send)) {
                retry.add(send);
            } else {
                fail(send, own, send.maybeWritten);
            }
        }
    }

    /**
     * Completes a stream's sends from append_runs.lua's reply: the entry ids of the sends it handled (the
     * original entry's for a duplicate or a conflict), the 1-based positions of duplicates (positive) and
     * conflicts (negative), then, when a write failed, 0 and its error: the sends from there on were not
     * written. With {@code unconfirmed} (acks=replicas, WAIT fell short) a send's entry is on the master
     * only, so its outcome is unknown. A send the script had handled before (a retry in the same session)
     * gets the id it names, or none ('') in the rare case that it no longer can.
     */
    private void completeAll(StreamGroup group, List<Object> reply, boolean unconfirmed) {
        List<PendingSend> sends = group.sends;
        int n = sends.size();
        int handled = handled(reply, n);
        byte[] outcome = new byte[handled];
        String error = marks(reply, handled, outcome);
        if (handled < n && sequences != null) {
            sequences.rollBack(group, handled); // the rest was not written: their numbers are free again
        }
        long now = System.nanoTime();
        // the sends acknowledged here leave the buffer together, after the loop
        int done = 0;
        int inGeneration1 = 0;
        long doneBytes = 0;
        for (int i = 0; i < n; i++) {
            PendingSend send = sends.get(i);
            if (send.future.isDone()) {
                continue; // failed after an earlier attempt (send-timeout-ms); it went along with its batch
            }
            if (i >= handled) {
                fail(send, SendErrors.stoppedBefore(error), false);
                continue;
            }
            String entryId = (String) reply.get(i);
            if (entryId.isEmpty()) {
                entryId = null;
            }
            if (outcome[i] == CONFLICT) {
                conflict(send, entryId, now);
            } else if (unconfirmed) {
                unconfirmed(send, entryId, now);
            } else {
                boolean duplicate = outcome[i] == DUPLICATE;
                metrics.sent(send.topicName(), duplicate ? "duplicate" : "ok", now - send.createdNanos);
                send.future.complete(new SendResult(send.partition, entryId, duplicate));
                done++;
                inGeneration1 += send.generation;
                doneBytes += send.bytes;
            }
        }
        accumulator.finished(done, doneBytes, done - inGeneration1, inGeneration1);
    }

    /** The sends the script handled: the leading entry ids of its reply, at most {@code n}. */
    private static int handled(List<Object> reply, int n) {
        int handled = 0;
        while (handled < n && handled < reply.size() && reply.get(handled) instanceof String) {
            handled++;
        }
        return handled;
    }

    /**
     * Reads the marks after the entry ids into {@code outcome} (DUPLICATE or CONFLICT per send); returns
     * the error of the write that failed, or null.
     */
    private static String marks(List<Object> reply, int handled, byte[] outcome) {
        for (int i = handled; i < reply.size(); i++) {
            int mark = ((Number) reply.get(i)).intValue();
            if (mark == 0) {
                return String.valueOf(reply.get(i + 1));
            }
            outcome[Math.abs(mark) - 1] = mark > 0 ? DUPLICATE : CONFLICT;
        }
        return null;
    }

    /** The send's id names an entry with another payload. */
    private void conflict(PendingSend send, String entryId, long now) {
        metrics.sent(send.topicName(), "conflict", now - send.createdNanos);
        send.future.completeExceptionally(new DuplicateIdConflictException(
                new String(send.id(), StandardCharsets.UTF_8), send.topicName(),
                new String(send.routingKey(), StandardCharsets.UTF_8), entryId));
        accumulator.finished(send);
    }

    /** acks=replicas and no replica confirmed the write in time: written on the master, outcome unknown. */
    private void unconfirmed(PendingSend send, String entryId, long now) {
        metrics.sent(send.topicName(), "unknown", now - send.createdNanos);
        metrics.failed(send.topicName(), SendFailureReason.REPLICA_TIMEOUT);
        send.future.completeExceptionally(new OutcomeUnknownException("send to partition " + send.partition
                + " is on the master as entry " + entryId + " of "
                + streamKeys.stream(send.topic, send.partition) + " but no replica confirmed it within "
                + sendTimeoutMs + " ms (acks=replicas); a failover may lose it, so retry only with the same id", null));
        accumulator.finished(send);
    }

    /** Without producer sessions: a plain send whose call timed out after it left has an unknown outcome. */
    void fail(PendingSend send, Throwable cause) {
        fail(send, cause, SendErrors.timedOutAfterSent(send, cause));
    }

    /**
     * Fails a send; with {@code maybeWritten} (an attempt's reply was lost) a plain send's outcome is
     * unknown, and one with an operation id fails retriable (the same id makes a repeat a duplicate).
     */
    void fail(PendingSend send, Throwable cause, boolean maybeWritten) {
        fail(send, cause, maybeWritten, null);
    }

    /** As {@link #fail(PendingSend, Throwable, boolean)}, counted under {@code reason} (null: read from the cause). */
    void fail(PendingSend send, Throwable cause, boolean maybeWritten, String reason) {
        if (send.future.isDone()) {
            return;
        }
        boolean unknown = maybeWritten && !send.idempotent();
        TallyException e = SendErrors.of(send, streamKeys, cause, maybeWritten, unknown);
        metrics.sent(send.topicName(), unknown ? "unknown" : "error", System.nanoTime() - send.createdNanos);
        metrics.failed(send.topicName(), reason != null ? reason : SendFailureReason.of(e));
        send.future.completeExceptionally(e);
        accumulator.finished(send);
    }

    /** Fails a send that was never written, with {@code why} as it is, counted under {@code reason}. */
    void failUnsent(PendingSend send, Throwable why, String reason) {
        metrics.sent(send.topicName(), "error", System.nanoTime() - send.createdNanos);
        metrics.failed(send.topicName(), reason);
        send.future.completeExceptionally(why);
        accumulator.finished(send);
    }

    /** The send has waited longer than send-timeout-ms. */
    boolean expired(PendingSend send) {
        return System.nanoTime() - send.createdNanos > TimeUnit.MILLISECONDS.toNanos(sendTimeoutMs);
    }
}
