/**
 * The processor's engine: {@link io.tally.processor.internal.RedisProcessor} wires membership, sticky
 * assignment, leases, the apply rounds, housekeeping, time triggers and the Redis state guard.
 *
 * <p>Internal: free to change in any version, not part of the API and not in the javadoc jar. The rule
 * for every Tally library: a type is API, in a package without {@code internal} in its name, when an
 * application needs it to call Tally (entry points, the interfaces they hand out, the values and
 * exceptions those take, return and throw); everything else, the wiring and plumbing behind them (Redis
 * clients, keys, scripts, wire codecs, engines), lives in an {@code internal} package, public only so that
 * Tally's own modules (the libraries, the {@code tally} application, tests and benchmarks) can share it. No
 * public signature of an API package names an internal type or a Redisson type.
 */
package io.tally.processor.internal;
