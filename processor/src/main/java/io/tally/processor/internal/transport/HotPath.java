package io.tally.processor.internal.transport;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.internal.resp.RespClusterConnectors;
import io.tally.common.internal.resp.RespConnector;
import io.tally.common.internal.resp.RespEndpoint;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Which connections the hot path takes ({@code hot-path-connection}): with a standalone Redis, one
 * connection of its own that carries both the fast path's reads and the rounds' script pipelines; with a
 * Cluster, one such connection per master, each partition's commands on the master serving its slot
 * (slot map read with CLUSTER SLOTS, refreshed after a redirect or a lost connection); else the
 * Redisson client (Sentinel, or when asked for).
 */
public final class HotPath {
    private static final Logger log = LoggerFactory.getLogger(HotPath.class);
    private final TallyConfig config;

    private HotPath(TallyConfig config) {
        this.config = config;
    }

    /** Everything through the Redisson client. */
    public static HotPath redisson() {
        return new HotPath(null);
    }

    /** The path the configuration asks for; direct with a standalone Redis or a Cluster. */
    public static HotPath from(TallyConfig config) {
        return new HotPath(config);
    }

    /**
     * Opens the connections the configuration asks for.
     *
     * @param consumer the consumer name of the reads; the direct connections are named {@code tally-hot:<consumer>}
     */
    public Clients open(RedissonClient redis, Keys keys, int partitions, String consumer) {
        String name = "tally-hot:" + consumer;
        List<RespEndpoint> seeds = config == null ? null
                : RedisClientFactory.hotPathClusterSeeds(config, name).orElse(null);
        if (seeds != null) {
            return openCluster(seeds, keys, partitions, consumer);
        }
        RespEndpoint direct = config == null ? null : RedisClientFactory.hotPathEndpoint(config, name).orElse(null);
        if (direct == null) {
            return new Clients(new RedissonStreamReads(redis, keys, partitions, consumer),
                    () -> new RedissonScriptPipeline(redis), () -> { }, null);
        }
        RespConnector connector = new RespConnector(direct);
        awaitFirstConnection(connector);
        return new Clients(new RespStreamReads(PartitionRoutes.single(connector), keys, partitions, consumer),
                () -> new RespScriptPipeline(connector), connector::close, connector);
    }

    private static Clients openCluster(List<RespEndpoint> seeds, Keys keys, int partitions, String consumer) {
        RespClusterConnectors cluster = new RespClusterConnectors(seeds);
        PartitionRoutes routes = PartitionRoutes.cluster(cluster, keys, partitions);
        if (cluster.refreshNow()) {
            for (int p = 0; p < partitions; p++) {
                routes.connector(p); // one connector per master serving a partition, opened below
            }
            cluster.connectors().forEach(HotPath::awaitFirstConnection);
            log.info("hot path: direct connections to {} cluster masters", cluster.connectors().size());
        } else {
            log.warn("hot path: no cluster node answered for the slot map yet; retrying in the background");
        }
        return new Clients(new RespStreamReads(routes, keys, partitions, consumer),
                () -> new ClusterScriptPipeline(cluster), cluster::close, null);
    }

    /**
     * Waits (at most the reply timeout) for the first connection, so that the first round does not fail
     * for want of one; should it not open, rounds fail as Redis errors until a later attempt does.
     */
    private static void awaitFirstConnection(RespConnector connector) {
        String notOpen = connector.awaitOpen();
        if (notOpen != null) {
            log.warn("direct connection to Redis at {} not open yet ({}); retrying in the background",
                    connector.endpoint(), notOpen);
        }
    }

    /** The hot path's reads and script pipelines, over the direct connections when there are some. */
    public static final class Clients implements AutoCloseable {
        private final StreamReads reads;
        private final Supplier<ScriptPipeline> pipelines;
        private final Runnable closer;
        /** The direct connection with a standalone Redis, else null. */
        private final RespConnector single;

        private Clients(StreamReads reads, Supplier<ScriptPipeline> pipelines, Runnable closer, RespConnector single) {
            this.reads = reads;
            this.pipelines = pipelines;
            this.closer = closer;
            this.single = single;
        }

        /**
         * Waits {@code maxMs}, or less: when the direct connection is not open as the wait begins (Redis went away),
         * it tries to open it again every {@value RespConnector#RETRY_MS} ms and ends as soon as it opens, so that a
         * back-off does not outlast an outage by up to its ceiling. Returns whether it ended for that reason.
         */
        public boolean awaitReconnect(long maxMs) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxMs);
            if (single == null || single.openNow() != null) {
                TimeUnit.MILLISECONDS.sleep(maxMs);
                return false;
            }
            while (true) {
                long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (leftMs <= 0) {
                    return false;
                }
                TimeUnit.MILLISECONDS.sleep(Math.min(leftMs, RespConnector.RETRY_MS));
                if (single.openNow() != null) {
                    return true;
                }
            }
        }

        /** The fast path's stream reads. */
        public StreamReads reads() {
            return reads;
        }

        /** A new, empty pipeline for one round. */
        public ScriptPipeline pipeline() {
            return pipelines.get();
        }

        /** Closes the direct connections (the Redisson client is the caller's). */
        @Override
        public void close() {
            closer.run();
        }
    }
}
