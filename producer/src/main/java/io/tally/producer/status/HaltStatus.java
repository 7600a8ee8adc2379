package io.tally.producer.status;

/**
 * Why a partition's owner reports it halted, as the processor recorded it in Redis. Every field comes
 * from Redis, where any writer may put anything: escape them before printing.
 *
 * @param reason    {@code unknown_version}, {@code poison_retrying}, {@code redis_refused} or
 *                  {@code stream_id_exhausted}
 * @param sinceMs   when the halt began, epoch ms; -1 when the stored value is not a number
 * @param detail    what the processor saw
 * @param processor the processor that reported it
 */
public record HaltStatus(String reason, long sinceMs, String detail, String processor) {
}
