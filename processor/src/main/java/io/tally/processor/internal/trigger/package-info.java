/**
 * Time triggers: fires the due triggers of owned partitions on Redis time, in a pipelined pass the loop
 * never waits for.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.processor.internal}).
 */
package io.tally.processor.internal.trigger;
