package io.tally.producer.internal;

import io.tally.producer.SendResult;

import java.util.concurrent.CompletableFuture;

/** One queued send: where it goes, what it writes (already encoded), and who waits for it. */
final class PendingSend {
    final int partition;
    /** {@link StreamKeys#OPS} or {@link StreamKeys#EVENTS}. */
    final int topic;
    /** Entry field names and values in wire order, UTF-8. */
    final byte[][] fields;
    /**
     * Where its operation id is kept (UTF-8): its dedupe key, or with dedupe buckets its dedupe field
     * ({@link StreamKeys#dedupe}); null without an id.
     */
    final byte[] dedupe;
    /** {@link PayloadDigest} of the entry when it has an idempotency key, else null. */
    final byte[] payloadDigest;
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

    PendingSend(int partition, int topic, byte[][] fields, byte[] dedupe) {
        this.partition = partition;
        this.topic = topic;
        this.fields = fields;
        this.dedupe = dedupe;
        this.payloadDigest = dedupe == null ? null : PayloadDigest.of(fields);
    }

    boolean idempotent() {
        return dedupe != null;
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
