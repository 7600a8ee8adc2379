package io.tally.producer.internal;

import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.SendFailedException;
import io.tally.producer.StreamIdsExhaustedException;
import io.tally.producer.TallyException;
import org.redisson.client.RedisBusyException;
import org.redisson.client.RedisClusterDownException;
import org.redisson.client.RedisLoadingException;
import org.redisson.client.RedisMasterDownException;
import org.redisson.client.RedisNoScriptException;
import org.redisson.client.RedisNoReplicasException;
import org.redisson.client.RedisNodeNotFoundException;
import org.redisson.client.RedisReadonlyException;
import org.redisson.client.RedisRedirectException;
import org.redisson.client.RedisTryAgainException;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisException;
import org.redisson.client.RedisOutOfMemoryException;
import org.redisson.client.RedisResponseTimeoutException;
import org.redisson.client.RedisTimeoutException;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Error classification and mapping for sends: which failures a retry may cure, what a stream's reply
 * future failed with, and which {@link TallyException} a failed send completes with.
 */
final class SendErrors {
    private SendErrors() {
    }

    /**
     * The exception a failed send completes with: outcome unknown for a plain send that may have been
     * written ({@code unknown}), out of stream ids, or a send failure, retriable when it may have been
     * written (the same id makes a repeat a duplicate) or when Redis could not serve.
     */
    static TallyException of(PendingSend send, StreamKeys keys, Throwable cause, boolean maybeWritten, boolean unknown) {
        return unknown
                ? new OutcomeUnknownException("send to partition " + send.partition + " got no reply it could trust ("
                + cause.getMessage() + "); the entry may or may not be in " + keys.stream(send.topic, send.partition)
                + " (give sends an id to retry them safely)", cause)
                : StreamIdsExhaustedException.matches(cause)
                ? new StreamIdsExhaustedException(keys.stream(send.topic, send.partition), send.partition, cause)
                : new SendFailedException("send to partition " + send.partition + " failed: " + cause.getMessage()
                + (maybeWritten ? " (it may have been written; send it again with the same id)" : ""),
                maybeWritten || retriable(cause), maybeWritten, cause);
    }

    /**
     * A plain send that an earlier attempt may have written (its reply was lost) met {@code refusal}
     * (NOSESSION, SEQGAP): Redis no longer holds the session that tells a repeat from a new send, so the
     * send is not sent again and its outcome stays unknown.
     */
    static OutcomeUnknownException sessionLost(PendingSend send, StreamKeys keys, Throwable refusal) {
        return new OutcomeUnknownException("send to partition " + send.partition + " may or may not be in "
                + keys.stream(send.topic, send.partition) + ": an earlier attempt got no reply, and Redis no longer "
                + "holds the producer session that would tell a retry from a new send (" + refusal.getMessage()
                + "); not sent again, so that it is never written twice (give sends an id to retry them safely)",
                refusal);
    }

    /** Without producer sessions: a plain send whose call timed out after it left has an unknown outcome. */
    static boolean timedOutAfterSent(PendingSend send, Throwable cause) {
        return !send.idempotent() && (cause instanceof RedisTimeoutException
                || cause instanceof RedisResponseTimeoutException);
    }

    /**
     * Why append_runs.lua did not write a send: {@code error} is its own text, or {@code entry <n>: }
     * followed by the error Redis replied to the write that failed (OOM, READONLY, WRONGTYPE...), which
     * becomes the typed cause: a Redis that cannot serve now makes a retriable failure.
     */
    static RedisException stoppedBefore(String error) {
        String message = "append_runs.lua stopped before this send; it was not written: "
                + (error == null ? "no reply for it" : error);
        int reply = error == null || !error.startsWith("entry ") ? -1 : error.indexOf(": ");
        return reply < 0 ? new RedisException(message)
                : new RedisException(message, RedisErrorReplies.of(error.substring(reply + 2)));
    }

    /** Redis unavailable, busy or moving: a retry (same id) may succeed. Looks through wrapped causes. */
    static boolean retriable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (retriableOne(t)) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /**
     * By type: Redisson types the error replies it decodes, and {@link RedisErrorReplies} types those
     * that reach Tally as text (the direct connection, append_runs.lua's own reports) or that Redisson
     * leaves untyped (append_runs.lua refusing a call's dedupe buckets: a {@link RedisTryAgainException}).
     */
    private static boolean retriableOne(Throwable e) {
        return e instanceof java.net.ConnectException || e instanceof java.nio.channels.ClosedChannelException
                || e instanceof RedisConnectionException || e instanceof RedisTimeoutException
                || e instanceof RedisResponseTimeoutException || e instanceof RedisNoScriptException
                || e instanceof RedisOutOfMemoryException || e instanceof RedisBusyException
                || e instanceof RedisLoadingException || e instanceof RedisRedirectException
                || e instanceof RedisTryAgainException || e instanceof RedisClusterDownException
                || e instanceof RedisReadonlyException || e instanceof RedisMasterDownException
                || e instanceof RedisNodeNotFoundException || e instanceof RedisNoReplicasException
                || e instanceof SaveFailedRefusal;
    }

    /** Whether a stream's call replied (its entries are on the master). */
    static boolean replied(CompletableFuture<?> reply) {
        return reply != null && reply.isDone() && !reply.isCompletedExceptionally();
    }

    /** What a stream's call failed with, or null. */
    static Throwable failure(CompletableFuture<?> reply) {
        if (!reply.isCompletedExceptionally()) {
            return null;
        }
        try {
            reply.join();
            return null;
        } catch (CompletionException e) {
            return unwrap(e);
        }
    }

    static Throwable unwrap(Throwable e) {
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
