package io.tally.processor;

/**
 * Why a partition this processor owns cannot progress.
 *
 * @param reason  {@code unknown_version}, {@code poison_retrying}, {@code redis_refused} or
 *                {@code stream_id_exhausted}
 * @param detail  what the processor saw, and what to do about it
 * @param sinceMs when the halt began, epoch ms
 */
public record PartitionHalt(String reason, String detail, long sinceMs) {
}
