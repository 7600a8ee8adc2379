package io.tally.processor.internal.transport;

import io.tally.common.internal.resp.RespEndpoint;
import io.tally.common.internal.resp.RespErrorReply;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisException;

import java.util.concurrent.CompletionException;

/**
 * Failures of the hot path's direct connections as the loop expects them from Redis: an error reply as
 * {@link RedisException} keeping Redis's text (NOSCRIPT is recognised by it), anything else (no
 * connection, a lost or silent one) as a retriable {@link RedisConnectionException}. A Cluster's
 * redirect (MOVED, ASK, TRYAGAIN: the command did not run on this master) counts as a connection
 * failure too: it is the topology's, never an entry's or the operator's, and the next round goes to the
 * master a fresh slot map names.
 */
final class RespFailures {
    private RespFailures() {
    }

    /** @param what what failed, e.g. "partition 3: stream read" or "script apply" */
    static RedisException asRedisException(String what, RespEndpoint endpoint, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof RespErrorReply && isRedirect(cause.getMessage())) {
            // no error reply as cause: the round must not take it for Redis refusing the partition's script
            return new RedisConnectionException(what + " at " + endpoint + " redirected (not run): " + cause.getMessage());
        }
        if (cause instanceof RespErrorReply) {
            return new RedisException(what + " at " + endpoint + " refused: " + cause.getMessage(), cause);
        }
        return new RedisConnectionException(what + " at " + endpoint + " failed: " + cause.getMessage(), cause);
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
