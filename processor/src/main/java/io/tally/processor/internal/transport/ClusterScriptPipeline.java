package io.tally.processor.internal.transport;

import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.keys.HashSlot;
import io.tally.common.internal.resp.RespClusterConnectors;
import io.tally.common.internal.resp.RespConnector;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A round's scripts on a Cluster over the direct connections: each call goes to the
 * {@link RespScriptPipeline} of the master serving its first key's slot (a partition's keys share one
 * hash tag, so one master), and the round sees one pipeline: {@link #execute()} flushes every master's
 * part and completes once every reply is in, exceptionally when one failed. A failed call (redirect,
 * lost connection, or no master known for its slot) asks for a fresh slot map; it is never resent here:
 * the round's error handling and the checkpoint rule decide what happens next.
 */
final class ClusterScriptPipeline implements ScriptPipeline {
    private final RespClusterConnectors cluster;
    private final Map<RespConnector, RespScriptPipeline> perMaster = new IdentityHashMap<>(4);
    private final List<CompletableFuture<List<Object>>> replies = new ArrayList<>();

    ClusterScriptPipeline(RespClusterConnectors cluster) {
        this.cluster = cluster;
    }

    @Override
    public CompletableFuture<List<Object>> eval(LuaScript script, List<Object> keys, Object... args) {
        RespConnector connector = cluster.forSlot(HashSlot.ofKey(keys.get(0).toString()));
        CompletableFuture<List<Object>> reply;
        if (connector == null) {
            reply = CompletableFuture.failedFuture(RespFailures.noMaster("script " + script.name()));
        } else {
            reply = perMaster.computeIfAbsent(connector, RespScriptPipeline::new).eval(script, keys, args);
        }
        reply.whenComplete((ok, failure) -> {
            if (failure != null) {
                cluster.refreshSoon();
            }
        });
        replies.add(reply);
        return reply;
    }

    /** Masters this round's scripts go to. */
    int masters() {
        return perMaster.size();
    }

    @Override
    public CompletableFuture<Void> execute() {
        perMaster.values().forEach(RespScriptPipeline::execute);
        return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new));
    }
}
