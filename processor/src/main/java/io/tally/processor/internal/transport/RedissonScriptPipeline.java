package io.tally.processor.internal.transport;

import io.tally.common.internal.redis.LuaScript;
import org.redisson.api.BatchOptions;
import org.redisson.api.RBatch;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A round's scripts as one Redisson batch: the pipeline of Cluster and Sentinel mode. */
final class RedissonScriptPipeline implements ScriptPipeline {
    private final RBatch batch;

    RedissonScriptPipeline(RedissonClient redis) {
        // no retries: a script that may have run is judged by the checkpoint on the next round, not resent
        this.batch = redis.createBatch(BatchOptions.defaults().retryAttempts(0));
    }

    @Override
    public CompletableFuture<List<Object>> eval(LuaScript script, List<Object> keys, Object... args) {
        Object[] text = args.clone();
        for (int i = 0; i < text.length; i++) {
            if (text[i] instanceof byte[] utf8) {
                text[i] = new String(utf8, StandardCharsets.UTF_8); // the client's string codec encodes it back
            }
        }
        return script.<List<Object>>evalAsync(batch.getScript(), RScript.ReturnType.LIST, keys, text).toCompletableFuture();
    }

    @Override
    public CompletableFuture<Void> execute() {
        return batch.executeAsync().toCompletableFuture().thenApply(result -> null);
    }
}
