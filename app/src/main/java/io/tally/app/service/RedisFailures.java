package io.tally.app.service;

import io.tally.common.internal.redis.RedisErrorCode;
import org.redisson.client.RedisBusyException;
import org.redisson.client.RedisClusterDownException;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisLoadingException;
import org.redisson.client.RedisMasterDownException;
import org.redisson.client.RedisNodeNotFoundException;
import org.redisson.client.RedisOutOfMemoryException;
import org.redisson.client.RedisReadonlyException;
import org.redisson.client.RedisTimeoutException;
import org.redisson.client.RedisTryAgainException;

import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.util.Optional;

/**
 * Tells a Redis that cannot serve now (down, out of memory, loading, failing over, busy) from other
 * failures, so that the API answers the first with 503 and Retry-After. Decided by exception type
 * where Redisson has one; the direct send connection only has Redis's error text, whose first word
 * is the error code ({@link #errorCode}).
 */
final class RedisFailures {
    private static final String OUT_OF_MEMORY = "Redis is out of memory (maxmemory)";
    private static final String LOADING = "Redis is loading its data";
    private static final String BUSY = "Redis is busy running a script";
    private static final String FAILING_OVER = "Redis is failing over";
    /** Redis 7.0's reply when a script calls a command the user may not run (no NOPERM code then). */
    private static final String SCRIPT_DENIED = "can't run this command";

    private RedisFailures() {
    }

    /**
     * Why Redis cannot serve now, as a short text safe to show a client (never Redis's own message,
     * which can carry a script's SHA and line), or empty when the failure is of another kind.
     */
    static Optional<String> unavailable(Throwable error) {
        // The deepest cause that names a reason wins: a send held for want of a connection or a producer
        // session carries what Redis answered underneath (READONLY, OOM, ...), which says more.
        String reason = null;
        for (Throwable t = error; t != null && t.getCause() != t; t = t.getCause()) {
            String own = reasonOf(t);
            reason = own != null ? own : reason;
        }
        return Optional.ofNullable(reason);
    }

    /**
     * Whether Redis refused the service's user a command (NOPERM; inside a script Redis 7.0 answers
     * "ERR The user executing the script can't run this command"), anywhere in the cause chain.
     */
    static boolean deniedCommand(Throwable error) {
        for (Throwable t = error; t != null && t.getCause() != t; t = t.getCause()) {
            String message = t.getMessage();
            if (errorCode(message).equals("NOPERM") || message != null && message.contains(SCRIPT_DENIED)) {
                return true;
            }
        }
        return false;
    }

    private static String reasonOf(Throwable t) {
        if (t instanceof RedisOutOfMemoryException) {
            return OUT_OF_MEMORY;
        }
        if (t instanceof RedisConnectionException || t instanceof RedisNodeNotFoundException
                || t instanceof SocketException || t instanceof ClosedChannelException) {
            return "Redis is unreachable";
        }
        if (t instanceof RedisTimeoutException) {
            return "Redis did not answer in time";
        }
        if (t instanceof RedisLoadingException) {
            return LOADING;
        }
        if (t instanceof RedisBusyException) {
            return BUSY;
        }
        if (t instanceof RedisMasterDownException || t instanceof RedisReadonlyException
                || t instanceof RedisTryAgainException || t instanceof RedisClusterDownException) {
            return FAILING_OVER;
        }
        // The direct send connection reports error replies as a plain RedisException with Redis's text.
        return reasonOfCode(errorCode(t.getMessage()));
    }

    private static String reasonOfCode(String code) {
        return switch (code) {
            case "OOM" -> OUT_OF_MEMORY;
            case "LOADING" -> LOADING;
            case "BUSY" -> BUSY;
            case "MASTERDOWN", "READONLY", "CLUSTERDOWN", "TRYAGAIN" -> FAILING_OVER;
            default -> null;
        };
    }

    /** The error code of a Redis error reply ({@link RedisErrorCode#of}). */
    static String errorCode(String message) {
        return RedisErrorCode.of(message);
    }
}
