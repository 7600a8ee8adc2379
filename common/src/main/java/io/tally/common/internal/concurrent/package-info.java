/**
 * Internal: the threads Tally starts. Free to change in any version.
 */
package io.tally.common.internal.concurrent;
