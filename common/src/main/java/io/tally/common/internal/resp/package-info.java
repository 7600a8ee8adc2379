/**
 * The RESP connection and parser of the direct hot path.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.common.internal}).
 */
package io.tally.common.internal.resp;
