package io.tally.processor.internal.transport;

import io.tally.common.internal.resp.RespEndpoint;
import io.tally.common.internal.resp.RespErrorReply;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisException;

import java.util.concurrent.CompletionException;

/**
 * Failures of the hot path's direct connection as the loop expects them from Redis: an error reply as
 * {@link RedisException} keeping Redis's text (NOSCRIPT is recognised by it), anything else (no
 * connection, a lost or silent one) as a retriable {@link RedisConnectionException}.
 */
final class RespFailures {
    private RespFailures() {
    }

    /** @param what what failed, e.g. "partition 3: stream read" or "script apply" */
    static RedisException asRedisException(String what, RespEndpoint endpoint, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof RespErrorReply) {
            return new RedisException(what + " at " + endpoint + " refused: " + cause.getMessage(), cause);
        }
        return new RedisConnectionException(what + " at " + endpoint + " failed: " + cause.getMessage(), cause);
    }
}
