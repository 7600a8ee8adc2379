package io.tally.producer.internal;

import io.tally.common.internal.resp.RespClusterConnectors;
import io.tally.common.internal.resp.RespConnector;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One pipeline of append_runs.lua calls on a Cluster: each stream's call is queued on the
 * {@link DirectSendPipeline} of the master serving the stream's slot, and {@link #execute()} flushes every
 * master's part once and completes when every reply is in. A call that finds no master for its slot fails
 * at once as not sent. Any failed call (a redirect, a lost connection, no master) asks for a fresh slot
 * map; it is never resent here: the producer's retry rules decide, and a redirect wrote nothing.
 */
final class ClusterSendPipeline implements SendPipeline {
    private final RespClusterConnectors cluster;
    private final byte[] evalsha;
    private final byte[] sha;
    private final Map<RespConnector, DirectSendPipeline> perMaster = new IdentityHashMap<>(4);
    private final List<CompletableFuture<List<Object>>> replies = new ArrayList<>();

    ClusterSendPipeline(RespClusterConnectors cluster, byte[] evalsha, byte[] sha) {
        this.cluster = cluster;
        this.evalsha = evalsha;
        this.sha = sha;
    }

    @Override
    public CompletableFuture<List<Object>> add(StreamGroup group, StreamKeys keys, byte[] dedupeWindowMs) {
        int slot = keys.slot(group.topic, group.partition);
        RespConnector master = cluster.forSlot(slot);
        CompletableFuture<List<Object>> reply = master == null
                ? CompletableFuture.failedFuture(new NotSentException("no cluster master known for slot " + slot + " of "
                + keys.stream(group.topic, group.partition) + " yet; not sent", null))
                : perMaster.computeIfAbsent(master, m -> DirectSendPipeline.on(m, evalsha, sha))
                .add(group, keys, dedupeWindowMs);
        reply.whenComplete((ok, failure) -> {
            if (failure != null) {
                cluster.refreshSoon();
            }
        });
        replies.add(reply);
        return reply;
    }

    @Override
    public CompletableFuture<Void> execute() {
        perMaster.values().forEach(DirectSendPipeline::execute);
        return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new));
    }
}
