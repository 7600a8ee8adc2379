/**
 * What one read of a partition's streams holds: entry ids, the ops entries checked with apply.lua's
 * rules as they are parsed, and their fold per counter for the fast script. No Redis here.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.processor.internal}).
 */
package io.tally.processor.internal.batch;
