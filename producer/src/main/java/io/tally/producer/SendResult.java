package io.tally.producer;

/**
 * Where a send landed.
 *
 * @param partition the partition of the routing key
 * @param entryId   the stream entry id; for a duplicate idempotent send, the original entry's id. Null only
 *                  for a send that a retry of the producer found written but whose id the append script
 *                  could no longer tell (a write Redis refused cut its call short and two replies were lost)
 * @param duplicate true when an earlier send with the same operation id already wrote the entry
 */
public record SendResult(int partition, String entryId, boolean duplicate) {
}
