package io.tally.processor.internal.transport;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.HashSlot;
import io.tally.common.internal.resp.RespClusterConnectors;
import io.tally.common.internal.resp.RespConnector;

/**
 * Which direct connection carries a partition's commands: the one connection of a standalone Redis, or
 * with a Cluster the connection to the master serving the slot of the partition's keys (computed from
 * the key names, which share one hash tag per partition).
 */
interface PartitionRoutes {
    /** The partition's connection; null while no master is known for it. */
    RespConnector connector(int partition);

    /** A command of the partition failed (or found no connection): the route may be stale. */
    void failed(int partition);

    /** Every partition over one connection. */
    static PartitionRoutes single(RespConnector connector) {
        return new PartitionRoutes() {
            @Override
            public RespConnector connector(int partition) {
                return connector;
            }

            @Override
            public void failed(int partition) {
                // one Redis: its connector replaces a broken connection by itself
            }
        };
    }

    /**
     * Each partition to the master of its slot; a failure asks for a fresh slot map.
     *
     * @throws IllegalStateException when a partition's streams hash to different slots (no hash tag)
     */
    static PartitionRoutes cluster(RespClusterConnectors cluster, Keys keys, int partitions) {
        int[] slots = new int[partitions];
        for (int p = 0; p < partitions; p++) {
            slots[p] = HashSlot.ofKey(keys.ops(p));
            if (HashSlot.ofKey(keys.events(p)) != slots[p]) {
                throw new IllegalStateException("partition " + p + ": " + keys.ops(p) + " and " + keys.events(p)
                        + " hash to different cluster slots");
            }
        }
        return new PartitionRoutes() {
            @Override
            public RespConnector connector(int partition) {
                return cluster.forSlot(slots[partition]);
            }

            @Override
            public void failed(int partition) {
                cluster.refreshSoon();
            }
        };
    }
}
