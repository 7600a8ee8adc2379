package io.tally.producer.internal;

import io.tally.common.internal.resp.RespClusterConnectors;
import io.tally.common.internal.resp.RespConnector;
import io.tally.common.internal.resp.RespEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The producer's own connections to a Redis Cluster, one per master ({@link RespClusterConnectors}: slot
 * map from CLUSTER SLOTS, refreshed after a failed call). Each pipeline routes a stream's call to the
 * master serving its slot ({@link ClusterSendPipeline}).
 */
final class ClusterConnections implements DirectConnection {
    private static final Logger log = LoggerFactory.getLogger(ClusterConnections.class);
    private final RespClusterConnectors cluster;

    private ClusterConnections(RespClusterConnectors cluster) {
        this.cluster = cluster;
    }

    /**
     * Reads the slot map and connects to every master that serves a stream (waiting at most each
     * connection's timeout). A master not reached yet is connected in the background; its streams' sends
     * fail as not sent and are retried meanwhile.
     *
     * @param seeds the configured nodes; their own timeout serves the slot map reads
     * @param masterTimeoutMs connect and reply timeout of the masters' connections
     * @throws IllegalStateException when no node answers for the slot map
     */
    static ClusterConnections open(List<RespEndpoint> seeds, int masterTimeoutMs, StreamKeys keys) {
        RespClusterConnectors cluster = new RespClusterConnectors(seeds, masterTimeoutMs);
        if (!cluster.refreshNow()) {
            cluster.close();
            throw new IllegalStateException("cannot read the cluster slot map from any of " + seeds
                    + " for the producer's connections");
        }
        for (int p = 0; p < keys.partitions(); p++) {
            cluster.forSlot(keys.slot(StreamKeys.OPS, p)); // makes the connector of each master serving a stream
            cluster.forSlot(keys.slot(StreamKeys.EVENTS, p));
        }
        cluster.connectors().forEach(ClusterConnections::awaitFirstConnection);
        log.info("producer: direct connections to {} cluster masters", cluster.connectors().size());
        return new ClusterConnections(cluster);
    }

    @Override
    public SendPipeline pipeline(byte[] evalsha, byte[] sha) {
        return new ClusterSendPipeline(cluster, evalsha, sha);
    }

    @Override
    public void close() {
        cluster.close();
    }

    private static void awaitFirstConnection(RespConnector connector) {
        String notOpen = connector.awaitOpen();
        if (notOpen != null) {
            log.warn("producer: connection to cluster master {} not open yet ({}); retrying in the background",
                    connector.endpoint(), notOpen);
        }
    }
}
