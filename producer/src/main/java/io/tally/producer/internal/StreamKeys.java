package io.tally.producer.internal;

import io.tally.common.keys.Keys;

import java.nio.charset.StandardCharsets;

/**
 * The keys a producer writes, built once per partition from {@link Keys} (as String for routing and
 * as bytes for the wire), so that a send concatenates at most its dedupe key.
 */
final class StreamKeys {
    static final int OPS = 0;
    static final int EVENTS = 1;
    private static final String[] TOPICS = {"ops", "events"};

    private final String[][] streams;
    private final byte[][][] streamBytes;
    private final byte[][] dedupePrefixes;

    StreamKeys(Keys keys, int partitions) {
        streams = new String[2][partitions];
        streamBytes = new byte[2][partitions][];
        dedupePrefixes = new byte[partitions][];
        for (int p = 0; p < partitions; p++) {
            streams[OPS][p] = keys.ops(p);
            streams[EVENTS][p] = keys.events(p);
            streamBytes[OPS][p] = streams[OPS][p].getBytes(StandardCharsets.UTF_8);
            streamBytes[EVENTS][p] = streams[EVENTS][p].getBytes(StandardCharsets.UTF_8);
            dedupePrefixes[p] = keys.dedupePrefix(p).getBytes(StandardCharsets.UTF_8);
        }
    }

    int partitions() {
        return dedupePrefixes.length;
    }

    static String topic(int topic) {
        return TOPICS[topic];
    }

    String stream(int topic, int partition) {
        return streams[topic][partition];
    }

    byte[] streamBytes(int topic, int partition) {
        return streamBytes[topic][partition];
    }

    /** {@code Keys.dedupe(partition, id)} as UTF-8 bytes, given the id's UTF-8 bytes. */
    byte[] dedupe(int partition, byte[] id) {
        byte[] prefix = dedupePrefixes[partition];
        byte[] key = new byte[prefix.length + id.length];
        System.arraycopy(prefix, 0, key, 0, prefix.length);
        System.arraycopy(id, 0, key, prefix.length, id.length);
        return key;
    }
}
