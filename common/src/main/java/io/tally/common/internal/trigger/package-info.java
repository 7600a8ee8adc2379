/**
 * Trigger ids and the JSON form of triggers.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.common.internal}).
 */
package io.tally.common.internal.trigger;
