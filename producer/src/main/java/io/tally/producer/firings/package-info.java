/**
 * Consuming trigger firings at-least-once in consumer groups:
 * {@link io.tally.producer.firings.FiringsConsumer} running a {@link io.tally.producer.firings.FiringHandler}.
 *
 * <p>Stable API: changes are announced in CHANGELOG.md, and before 1.0 only a minor version may make them.
 */
package io.tally.producer.firings;
