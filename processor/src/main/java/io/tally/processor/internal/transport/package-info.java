/**
 * How the hot path reaches Redis: a partition's stream reads, parsed into batches, and the rounds' script
 * pipelines, over a direct RESP connection with a standalone Redis or through Redisson otherwise.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.processor.internal}).
 */
package io.tally.processor.internal.transport;
