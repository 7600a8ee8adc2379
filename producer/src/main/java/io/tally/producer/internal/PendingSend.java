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
    /** Idempotency key (UTF-8), or null. */
    final byte[] dedupeKey;
    /** {@link PayloadDigest} of the entry when it has an idempotency key, else null. */
    final byte[] payloadDigest;
    final CompletableFuture<SendResult> future = new CompletableFuture<>();
    final long createdNanos = System.nanoTime();

    PendingSend(int partition, int topic, byte[][] fields, byte[] dedupeKey) {
        this.partition = partition;
        this.topic = topic;
        this.fields = fields;
        this.dedupeKey = dedupeKey;
        this.payloadDigest = dedupeKey == null ? null : PayloadDigest.of(fields);
    }

    boolean idempotent() {
        return dedupeKey != null;
    }

    String topicName() {
        return StreamKeys.topic(topic);
    }
}
