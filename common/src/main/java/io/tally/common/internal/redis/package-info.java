/**
 * The Redis client factory, Lua scripts, namespace checks and Redis error classification.
 *
 * <p>Internal: free to change in any version (see {@link io.tally.common.internal}).
 */
package io.tally.common.internal.redis;
