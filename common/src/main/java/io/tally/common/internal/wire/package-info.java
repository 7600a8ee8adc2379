/**
 * The wire format v1 codec and its rules.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.common.internal}).
 */
package io.tally.common.internal.wire;
