package io.tally.producer.read;

/**
 * A counter that a listing found but whose stored value another program wrote in a form Tally cannot read (not a
 * canonical signed 64-bit integer: {@code 007}, {@code -0}, {@code +5}, text, past 2^63). The listing reports it
 * apart from the readable counters, so that one bad value neither fails the listing nor hides the other counters;
 * no number is guessed for it.
 *
 * @param name      the counter's name, as stored
 * @param partition its partition
 * @param key       the Redis key that holds the value (the partition's counters hash)
 * @param detail    what is wrong, as {@link UnreadableStateException#getMessage()} says it for a single read: the
 *                  counter, the value and the key, control characters escaped and each cut after 100 characters
 */
public record UnreadableCounter(String name, int partition, String key, String detail) {
    /**
     * The counter that a read of its value found unreadable.
     *
     * @param partition the counter's partition
     * @param e         what the read threw; it names a counter
     * @return the counter, its key and the exception's message as the detail
     */
    public static UnreadableCounter of(int partition, UnreadableStateException e) {
        return new UnreadableCounter(e.counter().orElseThrow(), partition, e.key(), e.getMessage());
    }
}
