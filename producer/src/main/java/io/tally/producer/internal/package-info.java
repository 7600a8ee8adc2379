/**
 * The producer's send path: lanes, pipelines over Redisson or a direct connection, the entry encoder,
 * backpressure and namespace watches, behind {@link io.tally.producer.TallyProducer}.
 *
 * <p>Internal: free to change in any version, not part of the API and not in the javadoc jar. The rule
 * for every Tally library: a type is API, in a package without {@code internal} in its name, when an
 * application needs it to call Tally (entry points, the interfaces they hand out, the values and
 * exceptions those take, return and throw); everything else, the wiring and plumbing behind them (Redis
 * clients, keys, scripts, wire codecs, engines), lives in an {@code internal} package, public only so that
 * Tally's own modules (the libraries, the {@code tally} application, tests and benchmarks) can share it. No
 * public signature of an API package names an internal type or a Redisson type.
 */
package io.tally.producer.internal;
