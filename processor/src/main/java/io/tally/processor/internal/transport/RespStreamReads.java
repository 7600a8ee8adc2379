package io.tally.processor.internal.transport;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.resp.RespConnection;
import io.tally.common.internal.resp.RespConnector;
import io.tally.processor.internal.batch.CounterNames;
import io.tally.processor.internal.batch.PartitionRead;

import java.util.concurrent.CompletableFuture;

/**
 * Stream reads over the hot path's {@link RespConnection}s, parsed by {@link StreamReadParser}: with a
 * standalone Redis its one connection, with a Cluster the connection to the master serving the
 * partition's slot ({@link PartitionRoutes}). A broken connection is replaced by the next read
 * ({@link RespConnector}: connecting runs on a thread of its own, so a Redis that does not answer never
 * blocks the loop).
 */
final class RespStreamReads implements StreamReads {
    private final Keys keys;
    private final String consumer;
    private final byte[][] commands;
    private final int[] commandCounts;
    private final StreamReadParser[] parsers;
    private final PartitionRoutes routes;

    /** @param routes each partition's connection, closed by their owner */
    RespStreamReads(PartitionRoutes routes, Keys keys, int partitions, String consumer) {
        this.routes = routes;
        this.keys = keys;
        this.consumer = consumer;
        this.commands = new byte[partitions][];
        this.commandCounts = new int[partitions];
        this.parsers = new StreamReadParser[partitions];
        for (int p = 0; p < partitions; p++) {
            parsers[p] = new StreamReadParser(keys.ops(p), keys.events(p), new CounterNames(p, partitions));
        }
    }

    @Override
    public CompletableFuture<PartitionRead> readNew(int partition, int count) {
        byte[] command = command(partition, count);
        CompletableFuture<PartitionRead> read = new CompletableFuture<>();
        RespConnector connector = routes.connector(partition);
        if (connector == null) {
            routes.failed(partition);
            read.completeExceptionally(RespFailures.noMaster("partition " + partition + ": stream read"));
            return read;
        }
        connector.connection().thenCompose(c -> c.send(command, parsers[partition])).whenComplete((reply, failure) -> {
            if (failure == null) {
                read.complete(reply);
            } else {
                routes.failed(partition);
                read.completeExceptionally(RespFailures.asRedisException("partition " + partition + ": stream read",
                        connector.endpoint(), failure));
            }
        });
        return read;
    }

    private byte[] command(int partition, int count) {
        if (commands[partition] == null || commandCounts[partition] != count) {
            commands[partition] = RespConnection.encode("XREADGROUP", "GROUP", Keys.GROUP, consumer,
                    "COUNT", Integer.toString(count), "STREAMS", keys.ops(partition), keys.events(partition), ">", ">");
            commandCounts[partition] = count;
        }
        return commands[partition];
    }
}
