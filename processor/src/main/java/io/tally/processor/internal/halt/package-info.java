/**
 * Owned partitions that cannot progress, and why: the halts the apply path and the stream id watch
 * report, shown by readiness, the halted gauge and the partition's halt hash in Redis.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.processor.internal}).
 */
package io.tally.processor.internal.halt;
