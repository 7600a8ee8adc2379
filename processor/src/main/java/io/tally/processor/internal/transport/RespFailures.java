package io.tally.processor.internal.transport;

import io.tally.common.internal.redis.RedisErrorCode;
import io.tally.common.internal.resp.RespEndpoint;
import io.tally.common.internal.resp.RespErrorReply;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisException;
import org.redisson.client.RedisNoScriptException;

import java.util.concurrent.CompletionException;

/**
 * Failures of the hot path's direct connections as the loop expects them from Redis: an error reply as
 * {@link RedisException} keeping Redis's text, typed {@link RedisNoScriptException} when its error code
 * (the first word) is NOSCRIPT, as Redisson types it, so that the round reloads the scripts; anything
 * else (no connection, a lost or silent one) as a retriable {@link RedisConnectionException}. A Cluster's
 * redirect (MOVED, ASK, TRYAGAIN: the command did not run on this master) counts as a connection
 * failure too: it is the topology's, never an entry's or the operator's, and the next round goes to the
 * master a fresh slot map names.
 */
final class RespFailures {
    private static final String NOSCRIPT = "NOSCRIPT";

    private RespFailures() {
    }

    /** @param what what failed, e.g. "partition 3: stream read" or "script apply" */
    static RedisException asRedisException(String what, RespEndpoint endpoint, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof RespErrorReply && isRedirect(cause.getMessage())) {
            // no error reply as cause: the round must not take it for Redis refusing the partition's script
            return new RedisConnectionException(what + " at " + endpoint + " redirected (not run): " + cause.getMessage());
        }
        if (cause instanceof RespErrorReply reply) {
            return refused(what + " at " + endpoint + " refused: " + reply.getMessage(), reply);
        }
        return new RedisConnectionException(what + " at " + endpoint + " failed: " + cause.getMessage(), cause);
    }

    /** An error reply, typed by its code; the reply stays the cause (its text is Redis's own). */
    private static RedisException refused(String message, RespErrorReply reply) {
        if (!RedisErrorCode.of(reply.getMessage()).equals(NOSCRIPT)) {
            return new RedisException(message, reply);
        }
        RedisException noScript = new RedisNoScriptException(message);
        noScript.initCause(reply);
        return noScript;
    }

    /** No master known for the command's slot yet: it was not sent. */
    static RedisConnectionException noMaster(String what) {
        return new RedisConnectionException(what + " not sent: no cluster master known for its slot yet");
    }

    static boolean isRedirect(String errorText) {
        return errorText != null && (errorText.startsWith("MOVED ") || errorText.startsWith("ASK ")
                || errorText.startsWith("TRYAGAIN"));
    }
}
