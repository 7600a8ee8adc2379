package io.tally.common.internal.keys;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Maps a routing key to its partition: {@code crc32(utf8(key)) mod P}, unsigned, with CRC-32/IEEE
 * (the same value as {@link CRC32} and Python's {@code zlib.crc32}). Programs in other languages that
 * write straight into the streams must compute exactly this.
 */
public final class Partitioner {
    private final int partitions;

    public Partitioner(int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, was " + partitions);
        }
        this.partitions = partitions;
    }

    public int partitions() {
        return partitions;
    }

    /** Partition of a routing key (counter name, event type or trigger id). */
    public int partitionOf(String routingKey) {
        return partitionOf(routingKey.getBytes(StandardCharsets.UTF_8));
    }

    public int partitionOf(byte[] utf8) {
        CRC32 crc = new CRC32();
        crc.update(utf8);
        return (int) (crc.getValue() % partitions);
    }
}
