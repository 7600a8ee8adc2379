/**
 * The trigger client and the firings consumer on Redisson.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.producer.internal}).
 */
package io.tally.producer.internal.triggers;
