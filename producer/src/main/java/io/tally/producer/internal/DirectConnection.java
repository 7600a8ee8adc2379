package io.tally.producer.internal;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.internal.resp.RespEndpoint;

import java.util.List;

/**
 * The producer's own connections for its appends ({@code hot-path-connection direct}, acks=leader): one
 * to a standalone Redis ({@link StandaloneConnection}), or one per master of a Cluster
 * ({@link ClusterConnections}). Sentinel, acks=replicas and {@code hot-path-connection redisson} go
 * through Redisson instead.
 */
interface DirectConnection extends AutoCloseable {
    /** The CLIENT SETNAME of every append connection, as it shows in CLIENT LIST. */
    String CLIENT_NAME = "tally-producer";

    /** A new, empty pipeline of append_runs.lua calls; never waits for a connect. */
    SendPipeline pipeline(byte[] evalsha, byte[] sha);

    @Override
    void close();

    /**
     * Opens the connections the configuration asks for, or returns null when appends go through Redisson.
     * Each connection's reply timeout is send-timeout-ms: a reply may take as long as a send may.
     */
    static DirectConnection open(TallyConfig config, long sendTimeoutMs, StreamKeys keys) {
        int timeoutMs = (int) Math.min(Integer.MAX_VALUE, sendTimeoutMs);
        List<RespEndpoint> seeds = RedisClientFactory.hotPathClusterSeeds(config, CLIENT_NAME).orElse(null);
        if (seeds != null) {
            return ClusterConnections.open(seeds, timeoutMs, keys);
        }
        return RedisClientFactory.hotPathEndpoint(config, CLIENT_NAME)
                .map(endpoint -> new StandaloneConnection(endpoint.withTimeoutMs(timeoutMs)))
                .orElse(null);
    }
}
