/**
 * A namespace's status, as {@code tally status} shows it: {@link io.tally.producer.status.StatusReader}
 * and the snapshot it returns.
 *
 * <p>Stable API: changes are announced in CHANGELOG.md, and before 1.0 only a minor version may make them.
 */
package io.tally.producer.status;
