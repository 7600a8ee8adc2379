/**
 * The processor's one thread: the loop that runs a tick (heartbeat, assignment, leases, housekeeping)
 * between apply rounds, and the guard that restores what Redis lost under it.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.processor.internal}).
 */
package io.tally.processor.internal.engine;
