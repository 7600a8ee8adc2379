/**
 * Text another program wrote, made safe to quote.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.common.internal}).
 */
package io.tally.common.internal.text;
