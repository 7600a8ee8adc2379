package io.tally.producer.internal;

import io.tally.common.internal.keys.DedupeLayout;
import io.tally.common.internal.keys.HashSlot;
import io.tally.common.internal.keys.Keys;

import java.nio.charset.StandardCharsets;

/**
 * The keys a producer writes, built once per partition from {@link Keys} (as String for routing and
 * as bytes for the wire, with each stream's Cluster hash slot), so that a send builds at most its dedupe
 * key or field (in place), and a call its dedupe buckets.
 */
final class StreamKeys {
    static final int OPS = 0;
    static final int EVENTS = 1;
    private static final String[] TOPICS = {"ops", "events"};
    private static final byte[] NO_PREFIX = {};

    private final String[][] streams;
    private final byte[][][] streamBytes;
    /** Per topic and partition: {@link Keys#producers(int, String)} in UTF-8. */
    private final byte[][][] producersBytes;
    /**
     * Per topic and partition, in UTF-8: {@link Keys#dedupePrefix(int, String)} with a key per id, else
     * {@link Keys#dedupeBucketPrefix(int, String, long)}.
     */
    private final byte[][][] dedupePrefixes;
    /** Per topic and partition: the stream's hash slot, which its call's other keys share (one hash tag). */
    private final int[][] slots;
    private final DedupeLayout dedupeLayout;

    StreamKeys(Keys keys, int partitions, DedupeLayout dedupeLayout, long dedupeWindowMs) {
        this.dedupeLayout = dedupeLayout;
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
            for (int topic : new int[]{OPS, EVENTS}) {
                String prefix = dedupeLayout == DedupeLayout.KEY_PER_ID ? keys.dedupePrefix(p, TOPICS[topic])
                        : keys.dedupeBucketPrefix(p, TOPICS[topic], dedupeWindowMs);
                dedupePrefixes[topic][p] = prefix.getBytes(StandardCharsets.UTF_8);
            }
            slots[OPS][p] = HashSlot.ofKey(streams[OPS][p]);
            slots[EVENTS][p] = HashSlot.ofKey(streams[EVENTS][p]);
        }
    }

    /** Whether ids are kept in dedupe buckets rather than a key per id. */
    boolean dedupeBuckets() {
        return dedupeLayout != DedupeLayout.KEY_PER_ID;
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

    /**
     * Where an id is kept, as UTF-8 bytes given those of routing key and id: its key
     * ({@link Keys#dedupe(int, String, String, String)}), or with dedupe buckets its field in them
     * ({@code <routing key length>:<routing key>:<id>}).
     */
    byte[] dedupe(int topic, int partition, byte[] routingKey, byte[] id) {
        return Keys.dedupe(dedupePrefix(topic, partition), routingKey, id);
    }

    /** Bytes taken by {@link #dedupe}. */
    int dedupeLength(int topic, int partition, byte[] routingKey, byte[] id) {
        return Keys.dedupeLength(dedupePrefix(topic, partition), routingKey, id);
    }

    /** Writes {@link #dedupe} into {@code into} from {@code at}; returns the position after it. */
    int writeDedupe(byte[] into, int at, int topic, int partition, byte[] routingKey, byte[] id) {
        return Keys.writeDedupe(into, at, dedupePrefix(topic, partition), routingKey, id);
    }

    private byte[] dedupePrefix(int topic, int partition) {
        return dedupeBuckets() ? NO_PREFIX : dedupePrefixes[topic][partition];
    }

    /**
     * A stream's dedupe buckets {@code bucket}, {@code bucket - 1} and {@code bucket + 1}, in UTF-8 (with
     * dedupe buckets only): append_runs.lua reads the one after only when it exists, which it does after
     * Redis's clock stepped back.
     */
    byte[][] dedupeBuckets(int topic, int partition, long bucket) {
        byte[] prefix = dedupePrefixes[topic][partition];
        return new byte[][]{concat(prefix, Ascii.ofLong(bucket)), concat(prefix, Ascii.ofLong(bucket - 1)),
                concat(prefix, Ascii.ofLong(bucket + 1))};
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }
}
