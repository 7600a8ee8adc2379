package io.tally.producer.internal;

import io.tally.producer.SendResult;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** One queued send: where it goes, what it writes, and who waits for it. */
final class PendingSend {
    final int partition;
    final String topic;
    final String stream;
    /** Entry fields in wire order. */
    final Map<String, String> fields;
    /** Idempotency key, or null. */
    final String dedupeKey;
    final CompletableFuture<SendResult> future = new CompletableFuture<>();
    final long createdNanos = System.nanoTime();

    PendingSend(int partition, String topic, String stream, Map<String, String> fields, String dedupeKey) {
        this.partition = partition;
        this.topic = topic;
        this.stream = stream;
        this.fields = fields;
        this.dedupeKey = dedupeKey;
    }

    boolean idempotent() {
        return dedupeKey != null;
    }
}
