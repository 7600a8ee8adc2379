/**
 * Partition status as read from Redis, for metrics and tally status.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.common.internal}).
 */
package io.tally.common.internal.status;
