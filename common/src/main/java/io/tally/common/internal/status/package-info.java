/**
 * Stream id health shared by the processor and {@code tally repair}: how far ahead of Redis time an id may lie.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.common.internal}).
 */
package io.tally.common.internal.status;
