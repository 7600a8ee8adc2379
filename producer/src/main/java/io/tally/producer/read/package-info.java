/**
 * Reading what the processors applied: {@link io.tally.producer.read.TallyReader} and the values it
 * returns.
 *
 * <p>Stable API: changes are announced in CHANGELOG.md, and before 1.0 only a minor version may make them.
 */
package io.tally.producer.read;
