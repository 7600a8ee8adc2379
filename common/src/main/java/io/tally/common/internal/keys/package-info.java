/**
 * The Redis key layout of a namespace, and the partitioner.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.common.internal}).
 */
package io.tally.common.internal.keys;
