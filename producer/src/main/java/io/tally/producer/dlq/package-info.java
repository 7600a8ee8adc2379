/**
 * Dead letters, the entries the processors could not apply: list, replay and purge them with
 * {@link io.tally.producer.dlq.DeadLetters}.
 *
 * <p>Stable API: changes are announced in CHANGELOG.md, and before 1.0 only a minor version may make them.
 */
package io.tally.producer.dlq;
