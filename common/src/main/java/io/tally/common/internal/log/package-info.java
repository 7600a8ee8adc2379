/**
 * Internal: log lines a fault would otherwise repeat every few milliseconds. Free to change in any version.
 */
package io.tally.common.internal.log;
