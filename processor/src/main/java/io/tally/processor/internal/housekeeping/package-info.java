/**
 * Periodic upkeep of owned partitions: trimming acknowledged input, output retention, expiry of series
 * buckets and clean-up of dead processors' consumers.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.processor.internal}).
 */
package io.tally.processor.internal.housekeeping;
