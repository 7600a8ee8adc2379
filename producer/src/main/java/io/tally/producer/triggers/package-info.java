/**
 * Creating, reading, listing and cancelling triggers: {@link io.tally.producer.triggers.TriggerClient}.
 *
 * <p>Stable API: changes are announced in CHANGELOG.md, and before 1.0 only a minor version may make them.
 */
package io.tally.producer.triggers;
