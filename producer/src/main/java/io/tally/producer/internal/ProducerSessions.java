package io.tally.producer.internal;

import io.tally.common.internal.concurrent.DaemonThreads;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.api.options.OptionalOptions;
import org.redisson.client.codec.StringCodec;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Begins the producer's sessions ({@code producer_session.lua}: a number from the namespace's counter
 * and the Redis time). The first is begun when the producer starts; a later one when a stream has to
 * leave its session (the append script no longer knows it, its sequence has a gap, or a send's outcome
 * stayed unknown), and ahead of time once the current one is half as old as {@link #TTL_MS}, the time
 * within which a session may start on a stream. Later sessions are begun on a thread of their own;
 * until one arrives, the streams that wait for it do not send.
 */
final class ProducerSessions implements AutoCloseable {
    /** append_runs.lua's SESSION_TTL: longer than the longest send-timeout-ms, so no retry outlives it. */
    static final long TTL_MS = 3_600_000;
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ProducerSessions.class);
    private static final LuaScript BEGIN = LuaScript.resource("producer_session");

    private final RedissonClient redis;
    /**
     * The script handle for later sessions: without Redisson's retries, which would hold a refusal
     * (READONLY, LOADING) for seconds; the sends waiting for the session ask again on their next attempt,
     * so the refusal they fail with is Redis's latest answer.
     */
    private final RScript once;
    private final String counter;
    private final ExecutorService beginner = Executors.newSingleThreadExecutor(DaemonThreads.named("tally-producer-session"));
    private final AtomicBoolean beginning = new AtomicBoolean();
    private volatile ProducerSession current;
    /** When a failure to begin a session was last logged (nanoTime); while Redis is away it fails every try. */
    private volatile long loggedFailureNanos = System.nanoTime() - 60_000_000_000L;

    /** Why the last try to begin a session failed; null once one began. */
    private volatile RuntimeException lastFailure;

    /** Begins the first session; fails when Redis cannot give one. */
    ProducerSessions(RedissonClient redis, Keys keys) {
        this.redis = redis;
        this.counter = keys.producerSessions();
        this.once = redis.getScript(OptionalOptions.defaults().codec(StringCodec.INSTANCE).retryAttempts(0));
        this.current = ProducerSession.of(begin(redis.getScript(StringCodec.INSTANCE)), 1);
        log.debug("producer session {} began", current);
    }

    /**
     * The current session when it is later than generation {@code after}; else null, and a new session is
     * being begun.
     */
    ProducerSession after(long after) {
        ProducerSession c = current;
        if (c.generation() > after) {
            if (c.ageMs() > TTL_MS / 2) {
                beginNext();
            }
            return c;
        }
        beginNext();
        return null;
    }

    /** The session streams start with now. */
    ProducerSession current() {
        return current;
    }

    private void beginNext() {
        if (!beginning.compareAndSet(false, true)) {
            return;
        }
        try {
            beginner.execute(() -> {
                try {
                    ProducerSession next = ProducerSession.of(begin(once), current.generation() + 1);
                    current = next;
                    lastFailure = null;
                    log.debug("producer session {} began", next);
                } catch (RuntimeException e) {
                    lastFailure = e;
                    if (System.nanoTime() - loggedFailureNanos > 10_000_000_000L) {
                        loggedFailureNanos = System.nanoTime();
                        log.warn("producer: beginning a new session failed (sends that wait for it are retried): {}",
                                redisText(e));
                    }
                } finally {
                    beginning.set(false);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            beginning.set(false);
        }
    }

    /**
     * Why the last try to begin a session failed (Redis's refusal: READONLY, OOM, NOPERM, ...), or null:
     * the sends that wait for the session fail with it once past send-timeout-ms, so that they name what
     * Redis said rather than only that they waited.
     */
    RuntimeException lastFailure() {
        return lastFailure;
    }

    /** Redis's own text of a failure, without the channel and command dump Redisson appends to it. */
    static String redisText(Throwable e) {
        String text = String.valueOf(e.getMessage());
        int dump = text.indexOf(". channel: ");
        return dump < 0 ? text : text.substring(0, dump + 1);
    }

    private String begin(RScript script) {
        String id = BEGIN.eval(redis, script, RScript.ReturnType.VALUE, List.of(counter));
        if (id == null || !id.matches("[0-9]+:[0-9]+")) {
            throw new IllegalStateException("producer_session.lua answered " + id + ", not <n>:<start ms>");
        }
        return id;
    }

    @Override
    public void close() {
        beginner.shutdownNow();
    }
}
