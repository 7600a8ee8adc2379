package io.tally.producer.internal;

import io.tally.common.internal.keys.HashSlot;
import io.tally.common.internal.keys.Keys;

import java.nio.charset.StandardCharsets;

/**
 * The keys a producer writes, built once per partition from {@link Keys} (as String for routing and
 * as bytes for the wire, with each stream's Cluster hash slot), so that a send builds at most its dedupe key.
 */
final class StreamKeys {
    static final int OPS = 0;
    static final int EVENTS = 1;
    private static final String[] TOPICS = {"ops", "events"};

    private final String[][] streams;
    private final byte[][][] streamBytes;
    /** Per topic and partition: {@link Keys#producers(int, String)} in UTF-8. */
    private final byte[][][] producersBytes;
    /** Per topic and partition: {@link Keys#dedupePrefix(int, String)} in UTF-8. */
    private final byte[][][] dedupePrefixes;
    /** Per topic and partition: the stream's hash slot, which its call's other keys share (one hash tag). */
    private final int[][] slots;

    StreamKeys(Keys keys, int partitions) {
        streams = new String[2][partitions];
        streamBytes = new byte[2][partitions][];
        producersBytes = new byte[2][partitions][];
        dedupePrefixes = new byte[2][partitions][];
        slots = new int[2][partitions];
        for (int p = 0; p < partitions; p++) {
            streams[OPS][p] = keys.ops(p);
            streams[EVENTS][p] = keys.events(p);
            streamBytes[OPS][p] = streams[OPS][p].getBytes(StandardCharsets.UTF_8);
            streamBytes[EVENTS][p] = streams[EVENTS][p].getBytes(StandardCharsets.UTF_8);
            producersBytes[OPS][p] = keys.producers(p, TOPICS[OPS]).getBytes(StandardCharsets.UTF_8);
            producersBytes[EVENTS][p] = keys.producers(p, TOPICS[EVENTS]).getBytes(StandardCharsets.UTF_8);
            dedupePrefixes[OPS][p] = keys.dedupePrefix(p, TOPICS[OPS]).getBytes(StandardCharsets.UTF_8);
            dedupePrefixes[EVENTS][p] = keys.dedupePrefix(p, TOPICS[EVENTS]).getBytes(StandardCharsets.UTF_8);
            slots[OPS][p] = HashSlot.ofKey(streams[OPS][p]);
            slots[EVENTS][p] = HashSlot.ofKey(streams[EVENTS][p]);
        }
    }

    int partitions() {
        return streams[OPS].length;
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

    /** The Cluster hash slot of the stream, and so of its append_runs.lua call. */
    int slot(int topic, int partition) {
        return slots[topic][partition];
    }

    byte[] producersBytes(int topic, int partition) {
        return producersBytes[topic][partition];
    }

    /** {@link Keys#dedupe(int, String, String, String)} as UTF-8 bytes, given the UTF-8 bytes of routing key and id. */
    byte[] dedupe(int topic, int partition, byte[] routingKey, byte[] id) {
        return Keys.dedupe(dedupePrefixes[topic][partition], routingKey, id);
    }
}
