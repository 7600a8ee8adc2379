package io.tally.producer.internal;

import io.tally.common.internal.redis.RedisErrorCode;
import org.redisson.client.RedisAskException;
import org.redisson.client.RedisBusyException;
import org.redisson.client.RedisClusterDownException;
import org.redisson.client.RedisException;
import org.redisson.client.RedisLoadingException;
import org.redisson.client.RedisMasterDownException;
import org.redisson.client.RedisMovedException;
import org.redisson.client.RedisNoReplicasException;
import org.redisson.client.RedisNoScriptException;
import org.redisson.client.RedisOutOfMemoryException;
import org.redisson.client.RedisReadonlyException;
import org.redisson.client.RedisTryAgainException;
import org.redisson.misc.RedisURI;

/**
 * The exception for the text of a Redis error reply, typed by its error code (the first word) as
 * Redisson types the replies it decodes itself. The direct send connection and append_runs.lua (which
 * reports a write that Redis refused inside its own reply) only carry Redis's text; typed, a Redis that
 * cannot serve now (out of memory, loading, busy, failing over, short of replicas, unable to save) is told from other failures by type,
 * as for every other command. A Cluster's redirect (MOVED, ASK: the command did not run on that master,
 * nothing was written) becomes Redisson's redirect type, retriable, with Redis's text as its message;
 * append_runs.lua refusing a call's dedupe buckets becomes {@link DedupeBucketRefusal}, which Redisson
 * leaves untyped ({@link RedissonSendPipeline} types it here too).
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
            case "NOREPLICAS" -> new RedisNoReplicasException(reply);
            case SaveFailedRefusal.CODE -> new SaveFailedRefusal(reply);
            case "TRYAGAIN" -> new RedisTryAgainException(reply);
            case "CLUSTERDOWN" -> new RedisClusterDownException(reply);
            case "NOSCRIPT" -> new RedisNoScriptException(reply);
            case "MOVED" -> new Moved(reply);
            case "ASK" -> new Ask(reply);
            case DedupeBucketRefusal.CODE -> new DedupeBucketRefusal(reply);
            default -> new RedisException(reply);
        };
    }

    /** The slot of {@code MOVED <slot> <host>:<port>} (or ASK), or -1 if the reply does not name one. */
    private static int slotOf(String reply) {
        String[] parts = reply.split(" ");
        try {
            return parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The node a redirect names, or null if the reply does not name one. */
    private static RedisURI nodeOf(String reply) {
        String[] parts = reply.split(" ");
        int colon = parts.length > 2 ? parts[2].lastIndexOf(':') : -1;
        if (colon < 0) {
            return null;
        }
        try {
            return new RedisURI("redis", parts[2].substring(0, colon),
                    Integer.parseInt(parts[2].substring(colon + 1)));
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** MOVED: another master serves the slot now. Redisson's type keeps no text; this keeps Redis's. */
    static final class Moved extends RedisMovedException {
        private final String reply;

        Moved(String reply) {
            super(slotOf(reply), nodeOf(reply));
            this.reply = reply;
        }

        @Override
        public String getMessage() {
            return reply;
        }
    }

    /** ASK: the slot is migrating and the keys are on the importing master; the producer does not follow it. */
    static final class Ask extends RedisAskException {
        private final String reply;

        Ask(String reply) {
            super(slotOf(reply), nodeOf(reply));
            this.reply = reply;
        }

        @Override
        public String getMessage() {
            return reply;
        }
    }
}
