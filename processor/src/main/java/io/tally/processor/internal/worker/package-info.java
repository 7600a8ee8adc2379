/**
 * Reading partitions, folding and applying batches, halts, retention and housekeeping.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.processor.internal}).
 */
package io.tally.processor.internal.worker;
