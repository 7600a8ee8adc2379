package io.tally.producer.read;

/**
 * A counter's applied value.
 *
 * @param name      counter name
 * @param partition its partition
 * @param value     the value; 0 when the counter does not exist
 * @param exists    false when the counter was never written or was deleted
 */
public record CounterValue(String name, int partition, long value, boolean exists) {
}
