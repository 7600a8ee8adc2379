/**
 * Plumbing shared by the Tally libraries: Redis clients and scripts ({@code redis}), the key layout
 * ({@code keys}), the RESP parser of the direct hot path ({@code resp}), the wire codec ({@code wire}),
 * partition status ({@code status}), Micrometer helpers ({@code metrics}), trigger ids and JSON
 * ({@code trigger}), configuration helpers ({@code config}) and text another program wrote, made safe to
 * quote ({@code text}).
 *
 * <p>Internal: free to change in any version, not part of the API and not in the javadoc jar. The rule
 * for every Tally library: a type is API, in a package without {@code internal} in its name, when an
 * application needs it to call Tally (entry points, the interfaces they hand out, the values and
 * exceptions those take, return and throw); everything else, the wiring and plumbing behind them (Redis
 * clients, keys, scripts, wire codecs, engines), lives in an {@code internal} package, public only so that
 * Tally's own modules (the libraries, the {@code tally} application, tests and benchmarks) can share it. No
 * public signature of an API package names an internal type or a Redisson type.
 */
package io.tally.common.internal;
