/**
 * Which processor owns which partition: membership heartbeats, the sticky, balanced assignment every
 * processor computes alike, and the leases whose value fences every script.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.processor.internal}).
 */
package io.tally.processor.internal.ownership;
