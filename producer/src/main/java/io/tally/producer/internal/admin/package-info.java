/**
 * Dead letters, status and the stream id repair on Redisson.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.producer.internal}).
 */
package io.tally.producer.internal.admin;
