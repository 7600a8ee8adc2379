package io.tally.producer.internal;

import io.tally.producer.SendResult;

import java.util.concurrent.CompletableFuture;

/**
 * One queued send: where it goes, what it writes (already encoded), and who waits for it. A producer
 * holds tens of thousands of them while they wait, and each survives garbage collections, so a send is
 * kept in few objects: its field names are an array shared by its shape, its values and payload digest
 * one packed byte array.
 */
final class PendingSend {
    final int partition;
    /** {@link StreamKeys#OPS} or {@link StreamKeys#EVENTS}. */
    final int topic;
    /** Entry field names in wire order, UTF-8 ({@link EntryEncoder#names}: shared, never modify). */
    final byte[][] names;
    /**
     * The entry's values in wire order as MessagePack strings back to back, followed by its
     * {@link PayloadDigest} when it has an operation id ({@link EntryEncoder#packValues}).
     */
    final byte[] values;
    /**
     * Where its operation id is kept (UTF-8): its dedupe key, or with dedupe buckets its dedupe field
     * ({@link StreamKeys#dedupe}); null without an id.
     */
    final byte[] dedupe;
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

    /** A send of the entry {@code fields} (name, value, name, value, ... from {@link EntryEncoder}), which it does not keep. */
    PendingSend(int partition, int topic, byte[][] fields, byte[] dedupe) {
        this.partition = partition;
        this.topic = topic;
        this.names = EntryEncoder.names(topic, fields);
        this.values = EntryEncoder.packValues(fields, dedupe == null ? null : PayloadDigest.of(fields));
        this.dedupe = dedupe;
    }

    boolean idempotent() {
        return dedupe != null;
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
