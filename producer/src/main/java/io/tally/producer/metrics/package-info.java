/**
 * The producer's metrics on Micrometer (an optional dependency):
 * {@link io.tally.producer.metrics.MicrometerProducerMetrics}. The meter names are documented in
 * docs/observability.md.
 *
 * <p>Stable API: changes are announced in CHANGELOG.md, and before 1.0 only a minor version may make them.
 */
package io.tally.producer.metrics;
