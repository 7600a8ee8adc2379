/**
 * The processor's metrics on Micrometer (an optional dependency):
 * {@link io.tally.processor.metrics.MicrometerProcessorMetrics}, a
 * {@link io.tally.processor.ProcessorListener}. The meter names are documented in
 * docs/observability.md.
 *
 * <p>Stable API: changes are announced in CHANGELOG.md, and before 1.0 only a minor version may make them.
 */
package io.tally.processor.metrics;
