/**
 * Configuration helpers: the README table generator and secret files.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.common.internal}).
 */
package io.tally.common.internal.config;
