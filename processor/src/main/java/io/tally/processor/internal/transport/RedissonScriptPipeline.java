package io.tally.processor.internal.transport;

import io.tally.common.internal.redis.LuaScript;
import org.redisson.api.BatchOptions;
import org.redisson.api.RBatch;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;

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
        return script.<List<Object>>evalAsync(batch.getScript(), RScript.ReturnType.LIST, keys, args).toCompletableFuture();
    }

    @Override
    public CompletableFuture<Void> execute() {
        return batch.executeAsync().toCompletableFuture().thenApply(result -> null);
    }
}
