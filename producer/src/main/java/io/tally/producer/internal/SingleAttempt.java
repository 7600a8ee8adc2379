package io.tally.producer.internal;

import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.producer.OutcomeUnknownException;
import org.redisson.api.RKeys;
import org.redisson.api.RMap;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.api.options.KeysOptions;
import org.redisson.api.options.MapOptions;
import org.redisson.api.options.OptionalOptions;
import org.redisson.client.RedisResponseTimeoutException;
import org.redisson.client.codec.StringCodec;

import java.util.function.Function;
import java.util.function.Supplier;

/**
 * An idempotent admin write (a counter delete, a trigger cancel, a dead letter's replay or purge) sent to Redis
 * once, so that its failure tells whether it may have been applied. Redisson's own retries are off for it: a
 * retry would answer for a repeat (a counter that "did not exist", a letter already "gone"), and one that cannot
 * connect after an earlier attempt left would fail as if nothing had been sent.
 *
 * <p>The one attempt then fails in one of two ways. Its call left and no reply came within
 * {@code redis-timeout-ms} (a slow, paused or stopped Redis, which may run it later; a connection broken after
 * the write, the command run or not): {@link RedisResponseTimeoutException}, outcome unknown. Or it never left
 * (no connection, a write Redisson cancelled) or Redis refused it (NOPERM, OOM, READONLY, ...): nothing was
 * written.
 *
 * <p>A write whose repeat answers as the first did (a trigger create retried with its id) is {@link #retried}:
 * each attempt goes once, so that the failure of the last still tells whether an earlier one may have run; once
 * one may have, a later attempt's refusal cannot say that nothing was written.
 */
public final class SingleAttempt {
    private SingleAttempt() {
    }

    /** A script handle whose calls go once. */
    public static RScript script(RedissonClient redis) {
        return redis.getScript(OptionalOptions.defaults().codec(StringCodec.INSTANCE).retryAttempts(0));
    }

    /** A hash whose calls go once. */
    public static RMap<String, String> map(RedissonClient redis, String key) {
        return redis.getMap(MapOptions.<String, String>name(key).codec(StringCodec.INSTANCE).retryAttempts(0));
    }

    /** Key commands that go once. */
    public static RKeys keys(RedissonClient redis) {
        return redis.getKeys(KeysOptions.defaults().retryAttempts(0));
    }

    /**
     * Runs a write made on a handle of this class; a reply lost after it left becomes an
     * {@link OutcomeUnknownException} with the text {@code unknown} gives, any other failure is thrown as it is.
     */
    public static <T> T write(Supplier<T> write, Supplier<String> unknown) {
        try {
            return write.get();
        } catch (RuntimeException e) {
            if (replyLost(e)) {
                throw new OutcomeUnknownException(unknown.get(), e);
            }
            throw e;
        }
    }

    /**
     * Runs a write made on a handle of this class, again while Redis is unreachable or silent, as often and after
     * the same pauses as the Redis client retries its commands ({@link RedisClientFactory#RETRY_ATTEMPTS}); the
     * write must be one whose repeat does nothing more than the first run. Its reply, or else: an
     * {@link OutcomeUnknownException} with the text {@code unknown} gives when any attempt's reply was lost (that
     * attempt may have run), or the last failure as it is (nothing was written).
     *
     * <p>The write throws its refusals (a reply saying that nothing was written) rather than returning them: once an
     * attempt's reply was lost, a later attempt's refusal says nothing of the earlier one, which may still run after
     * it (held in a socket buffer or a proxy), so it too ends as outcome unknown.
     *
     * @param unknown the text of the outcome-unknown failure, given the refusal that ended the last attempt, or null
     *                when no attempt after the lost reply was answered (Redis unreachable or silent)
     */
    public static <T> T retried(Supplier<T> write, Function<RuntimeException, String> unknown) {
        boolean mayHaveRun = false;
        for (int attempt = 0; ; attempt++) {
            try {
                return write.get();
            } catch (RuntimeException e) {
                mayHaveRun |= replyLost(e);
                boolean unanswered = redisUnreachableOrSilent(e);
                if (attempt == RedisClientFactory.RETRY_ATTEMPTS || !unanswered || !paused(attempt)) {
                    throw mayHaveRun ? new OutcomeUnknownException(unknown.apply(unanswered ? null : e), e) : e;
                }
            }
        }
    }

    private static boolean redisUnreachableOrSilent(RuntimeException failure) {
        String reason = SendFailureReason.of(failure);
        return reason.equals(SendFailureReason.UNREACHABLE) || reason.equals(SendFailureReason.TIMEOUT);
    }

    /** Waits before retry {@code attempt + 1}; false when interrupted (the flag kept), so that no retry goes. */
    private static boolean paused(int attempt) {
        try {
            Thread.sleep(RedisClientFactory.RETRY_DELAY.calcDelay(attempt).toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Whether a failure, or one of its causes, is a call that left and got no reply. */
    public static boolean replyLost(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RedisResponseTimeoutException) {
                return true;
            }
        }
        return false;
    }
}
