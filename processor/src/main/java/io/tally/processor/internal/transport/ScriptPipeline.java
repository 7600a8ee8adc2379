package io.tally.processor.internal.transport;

import io.tally.common.internal.redis.LuaScript;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The scripts of one round, sent together (EVALSHA, in the order queued); built and sent by the loop
 * thread, replies complete on any thread. A failure is a Redis error the loop retries: an error reply
 * (NOSCRIPT among them) or a lost connection.
 */
public interface ScriptPipeline {
    /**
     * Queues one script call; its reply is the script's list (strings and integers). An argument is a
     * {@code byte[]} of UTF-8 text (sent as it is) or any value whose {@code toString} is its text.
     */
    CompletableFuture<List<Object>> eval(LuaScript script, List<Object> keys, Object... args);

    /** Sends what was queued; completes once every reply is in, exceptionally when one failed. */
    CompletableFuture<Void> execute();
}
