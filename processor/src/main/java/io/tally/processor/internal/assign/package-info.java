/**
 * The sticky, balanced assignment of partitions to processors.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.processor.internal}).
 */
package io.tally.processor.internal.assign;
