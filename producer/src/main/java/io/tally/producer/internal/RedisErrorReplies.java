package io.tally.producer.internal;

import io.tally.common.internal.redis.RedisErrorCode;
import org.redisson.client.RedisBusyException;
import org.redisson.client.RedisClusterDownException;
import org.redisson.client.RedisException;
import org.redisson.client.RedisLoadingException;
import org.redisson.client.RedisMasterDownException;
import org.redisson.client.RedisNoScriptException;
import org.redisson.client.RedisOutOfMemoryException;
import org.redisson.client.RedisReadonlyException;
import org.redisson.client.RedisTryAgainException;

/**
 * The exception for the text of a Redis error reply, typed by its error code (the first word) as
 * Redisson types the replies it decodes itself. The direct send connection and append_runs.lua (which
 * reports a write that Redis refused inside its own reply) only carry Redis's text; typed, a Redis that
 * cannot serve now (out of memory, loading, busy, failing over) is told from other failures by type,
 * as for every other command.
 */
final class RedisErrorReplies {
    private RedisErrorReplies() {
    }

    static RedisException of(String reply) {
        return switch (RedisErrorCode.of(reply)) {
            case "OOM" -> new RedisOutOfMemoryException(reply);
            case "LOADING" -> new RedisLoadingException(reply);
            case "BUSY" -> new RedisBusyException(reply);
            case "READONLY" -> new RedisReadonlyException(reply);
            case "MASTERDOWN" -> new RedisMasterDownException(reply);
            case "TRYAGAIN" -> new RedisTryAgainException(reply);
            case "CLUSTERDOWN" -> new RedisClusterDownException(reply);
            case "NOSCRIPT" -> new RedisNoScriptException(reply);
            case DedupeClock.REFUSAL -> new RedisTryAgainException(reply); // the call's buckets were not Redis's
            default -> new RedisException(reply);
        };
    }
}
