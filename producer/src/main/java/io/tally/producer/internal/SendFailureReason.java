package io.tally.producer.internal;

import io.tally.common.internal.redis.RedisErrorCode;
import io.tally.common.internal.redis.RedisFailures;
import io.tally.producer.StreamIdsExhaustedException;
import io.tally.producer.read.UnreadableStateException;
import org.redisson.client.RedisBusyException;
import org.redisson.client.RedisClusterDownException;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisException;
import org.redisson.client.RedisLoadingException;
import org.redisson.client.RedisMasterDownException;
import org.redisson.client.RedisNoReplicasException;
import org.redisson.client.RedisNodeNotFoundException;
import org.redisson.client.RedisOutOfMemoryException;
import org.redisson.client.RedisReadonlyException;
import org.redisson.client.RedisRedirectException;
import org.redisson.client.RedisResponseTimeoutException;
import org.redisson.client.RedisTimeoutException;
import org.redisson.client.RedisTryAgainException;

import java.net.SocketException;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Why a send failed, as one of a few fixed words for the {@code reason} label of
 * {@code tally_producer_send_failures_total}: which of Redis's ways to fail (down, silent, full, a
 * replica, busy, loading, short of replicas, unable to save, a user without a command, a cluster moving) the operator is looking at. The
 * deepest cause that names one wins: a send held for a producer session names why the session could
 * not be begun (READONLY, OOM, ...), not that it was held.
 *
 * <p>The same classification gives the text a person is told when Redis cannot serve now
 * ({@link #unavailableText}): the HTTP service's 503 says what the metric counts.
 */
public final class SendFailureReason {
    static final String UNREACHABLE = "unreachable";
    static final String TIMEOUT = "timeout";
    static final String OUT_OF_MEMORY = "out_of_memory";
    static final String READ_ONLY = "read_only";
    static final String BUSY = "busy";
    static final String LOADING = "loading";
    static final String NO_REPLICAS = "no_replicas";
    static final String SAVE_FAILED = "save_failed";
    public static final String NO_PERMISSION = "no_permission";
    static final String CLUSTER = "cluster";
    static final String SESSION_LOST = "session_lost";
    static final String NAMESPACE = "namespace";
    static final String EVICTION_POLICY = "eviction_policy";
    static final String STREAM_IDS_EXHAUSTED = "stream_ids_exhausted";
    static final String REPLICA_TIMEOUT = "replica_timeout";
    static final String SCRIPT_ERROR = "script_error";
    /** A send refused because its stream is a key another program made of another type. */
    static final String UNREADABLE_STATE = "unreadable_state";
    static final String OTHER = "other";

    /** Every reason, so that each series exists (at 0) before its first failure. */
    public static final List<String> ALL = List.of(UNREACHABLE, TIMEOUT, OUT_OF_MEMORY, READ_ONLY, BUSY, LOADING,
            NO_REPLICAS, SAVE_FAILED, NO_PERMISSION, CLUSTER, SESSION_LOST, NAMESPACE, EVICTION_POLICY, STREAM_IDS_EXHAUSTED, REPLICA_TIMEOUT, SCRIPT_ERROR, UNREADABLE_STATE, OTHER);

    /**
     * The reasons that mean Redis cannot serve now, with the short text a client is shown (never Redis's own
     * message, which can carry a script's SHA and line).
     */
    private static final Map<String, String> UNAVAILABLE = Map.of(
            UNREACHABLE, "Redis is unreachable",
            TIMEOUT, "Redis did not answer in time",
            OUT_OF_MEMORY, "Redis is out of memory (maxmemory)",
            READ_ONLY, "Redis is failing over",
            BUSY, "Redis is busy running a script",
            LOADING, "Redis is loading its data",
            NO_REPLICAS, "Redis refuses writes: fewer replicas than its min-replicas-to-write are in sync",
            SAVE_FAILED, "Redis refuses writes: its last save to disk failed",
            CLUSTER, "Redis Cluster is failing over or moving slots");

    /**
     * The reasons that say Redis (not one key or one send) cannot take writes now: the service is not ready while
     * its latest send failed for one of them. A superset of {@link #UNAVAILABLE}: a denied command, a missing
     * namespace or an evicting policy refuses every write too, until an operator acts.
     */
    private static final Set<String> REFUSES_WRITES = Set.of(UNREACHABLE, TIMEOUT, OUT_OF_MEMORY, READ_ONLY, BUSY,
            LOADING, NO_REPLICAS, SAVE_FAILED, NO_PERMISSION, CLUSTER, NAMESPACE, EVICTION_POLICY);

    private SendFailureReason() {
    }

    /** The reason for a failed send or command, from its whole cause chain: one of {@link #ALL}. */
    public static String of(Throwable failure) {
        String reason = null;
        boolean errorReply = false;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String own = ofOne(t);
            if (own != null) {
                reason = own;
            }
            errorReply |= !RedisErrorCode.of(t.getMessage()).isEmpty();
        }
        return reason != null ? reason : errorReply ? SCRIPT_ERROR : OTHER;
    }

    /**
     * Why Redis cannot serve now, as a short text safe to show a client, for a reason of {@link #of}; empty when
     * the reason is not Redis being unable to serve (a denied command, a script error, a lost session, ...).
     */
    public static Optional<String> unavailableText(String reason) {
        return Optional.ofNullable(UNAVAILABLE.get(reason));
    }

    /** Whether a reason of {@link #of} says Redis refuses writes now (not one key or one send failed). */
    public static boolean refusesWritesNow(String reason) {
        return REFUSES_WRITES.contains(reason);
    }

    private static String ofOne(Throwable t) {
        if (t.getClass() == RedisException.class) {
            // an error reply known only by its text (a script's pcall, a reply not typed on its way): typed by its code
            RedisException typed = RedisErrorReplies.of(t.getMessage());
            if (typed.getClass() != RedisException.class) {
                return ofOne(typed);
            }
        }
        if (t instanceof StreamIdsExhaustedException) {
            return STREAM_IDS_EXHAUSTED;
        }
        if (t instanceof UnreadableStateException) {
            return UNREADABLE_STATE;
        }
        if (t instanceof RedisOutOfMemoryException) {
            return OUT_OF_MEMORY;
        }
        if (t instanceof RedisReadonlyException || t instanceof RedisMasterDownException) {
            return READ_ONLY;
        }
        if (t instanceof RedisBusyException) {
            return BUSY;
        }
        if (t instanceof RedisLoadingException) {
            return LOADING;
        }
        if (t instanceof RedisNoReplicasException) {
            return NO_REPLICAS;
        }
        if (t instanceof SaveFailedRefusal) {
            return SAVE_FAILED;
        }
        if (t instanceof RedisRedirectException || t instanceof RedisTryAgainException
                || t instanceof RedisClusterDownException || t instanceof RedisNodeNotFoundException) {
            return CLUSTER;
        }
        if (t instanceof RedisTimeoutException || t instanceof RedisResponseTimeoutException) {
            return TIMEOUT;
        }
        if (t instanceof RedisConnectionException || t instanceof SocketException
                || t instanceof ClosedChannelException) {
            return UNREACHABLE;
        }
        String message = t.getMessage();
        String code = RedisErrorCode.of(message);
        if (code.equals("NOPERM") || message != null && RedisFailures.isScriptDenied(message)) {
            return NO_PERMISSION;
        }
        return switch (code) {
            case "SEQGAP", "NOSESSION" -> SESSION_LOST;
            default -> null;
        };
    }
}
