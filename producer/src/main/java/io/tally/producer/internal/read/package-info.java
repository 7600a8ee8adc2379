/**
 * The reader on Redisson, with series and unique counts, stream ids and series ranges.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.producer.internal}).
 */
package io.tally.producer.internal.read;
