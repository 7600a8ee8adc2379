package io.tally.producer;

/**
 * Where a send landed.
 *
 * @param partition the partition of the routing key
 * @param entryId   the stream entry id; for a duplicate idempotent send, the original entry's id
 * @param duplicate true when an earlier send with the same operation id already wrote the entry
 */
public record SendResult(int partition, String entryId, boolean duplicate) {
}
