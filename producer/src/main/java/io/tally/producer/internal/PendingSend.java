package io.tally.producer.internal;

import io.tally.producer.SendResult;

import java.util.concurrent.CompletableFuture;

/**
 * One queued send: where it goes, what it writes (already encoded), and who waits for it. A producer
 * holds tens of thousands of them while they wait, and each survives garbage collections, so a send is
 * kept in few objects: its field names are an array shared by its shape; its values, payload digest and
 * dedupe key or field one packed byte array.
 */
final class PendingSend {
    final int partition;
    /** {@link StreamKeys#OPS} or {@link StreamKeys#EVENTS}. */
    final int topic;
    /** Entry field names in wire order, UTF-8 ({@link EntryEncoder#names}: shared, never modify). */
    final byte[][] names;
    /**
     * The entry's values in wire order as MessagePack strings back to back; when it has an operation id,
     * followed by its {@link PayloadDigest} and by where the id is kept (UTF-8), its dedupe key or, with
     * dedupe buckets, its dedupe field ({@link StreamKeys#dedupe}): see {@link EntryEncoder#packValuesWithId}.
     */
    final byte[] values;
    /** Where in {@link #values} its dedupe key or field begins (as a MessagePack string); -1 without an id. */
    private final int dedupeAt;
    /** Bytes it holds (values and names), counted against {@code producer-buffer-bytes}. */
    final int bytes;
    /** The flush generation it was admitted in, 0 or 1 ({@link SendAccumulator}). */
    int generation;
    final CompletableFuture<SendResult> future = new CompletableFuture<>();
    final long createdNanos = System.nanoTime();
    /**
     * The producer session and sequence number the send went out with ({@link StreamSequences}), or null
     * and 0 while it has none. Kept for a retry after an attempt whose outcome is unknown, so that the
     * append script can tell the retry from a new send; touched by one thread at a time (its lane's).
     */
    ProducerSession session;
    long seq;
    /** An attempt to send it may have written it (its reply was lost): a failure is then "outcome unknown". */
    boolean maybeWritten;

    /**
     * A send of the entry {@code fields} (name, value, name, value, ... from {@link EntryEncoder}), which
     * it does not keep, with {@code dedupe} where its operation id is kept, or null without an id.
     */
    PendingSend(int partition, int topic, byte[][] fields, byte[] dedupe) {
        this(partition, topic, fields, dedupe == null ? EntryEncoder.packValues(fields) : packed(fields, dedupe),
                dedupe == null ? -1 : dedupe.length);
    }

    private PendingSend(int partition, int topic, byte[][] fields, byte[] values, int dedupeLength) {
        this.partition = partition;
        this.topic = topic;
        this.names = EntryEncoder.names(topic, fields);
        this.values = values;
        this.dedupeAt = dedupeLength < 0 ? -1 : values.length - MsgPack.headerSize(dedupeLength) - dedupeLength;
        int size = values.length;
        for (byte[] name : names) {
            size += name.length;
        }
        this.bytes = size;
    }

    /**
     * A send of the entry {@code fields} whose operation id is {@code id}: its dedupe key or field
     * ({@link StreamKeys#dedupe}) is written straight into its packed values, built by no array of its own.
     */
    static PendingSend withId(int partition, int topic, byte[][] fields, byte[] id, StreamKeys keys) {
        byte[] routingKey = EntryEncoder.routingKey(topic, fields);
        int length = keys.dedupeLength(topic, partition, routingKey, id);
        byte[] values = EntryEncoder.packValuesWithId(fields, length);
        keys.writeDedupe(values, values.length - length, topic, partition, routingKey, id);
        return new PendingSend(partition, topic, fields, values, length);
    }

    private static byte[] packed(byte[][] fields, byte[] dedupe) {
        byte[] values = EntryEncoder.packValuesWithId(fields, dedupe.length);
        System.arraycopy(dedupe, 0, values, values.length - dedupe.length, dedupe.length);
        return values;
    }

    boolean idempotent() {
        return dedupeAt >= 0;
    }

    /** Where its operation id is kept, its dedupe key or field (a copy, for a call's KEYS); null without an id. */
    byte[] dedupe() {
        return dedupeAt < 0 ? null : MsgPack.stringFrom(values, dedupeAt);
    }

    /**
     * How many leading bytes of {@link #values} a call packs: all of them with {@code dedupeField} (dedupe
     * buckets, where the field follows the digest), else all but the dedupe key, which the call names in KEYS.
     */
    int packedLength(boolean dedupeField) {
        return dedupeAt < 0 || dedupeField ? values.length : dedupeAt;
    }

    /** The operation id's bytes, or null: read back from the packed values (rare, for a conflict's message). */
    byte[] id() {
        int index = EntryEncoder.idIndex(names);
        return index < 0 ? null : MsgPack.stringAt(values, index);
    }

    /** The routing key's bytes (counter or event type), read back from the packed values. */
    byte[] routingKey() {
        return MsgPack.stringAt(values, EntryEncoder.routingKeyIndex(topic));
    }

    /** Whether the send keeps a session and number from an earlier attempt. */
    boolean numbered() {
        return seq > 0;
    }

    void unnumber() {
        session = null;
        seq = 0;
    }

    String topicName() {
        return StreamKeys.topic(topic);
    }
}
