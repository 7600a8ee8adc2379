/**
 * Micrometer helpers shared by the metrics bindings and the processor runtime.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.common.internal}).
 */
package io.tally.common.internal.metrics;
