package io.tally.producer.internal;

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
