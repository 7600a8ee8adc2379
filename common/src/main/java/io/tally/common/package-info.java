/**
 * Types every Tally library shares: the library version ({@link io.tally.common.TallyVersion}) and
 * {@link io.tally.common.NamespaceMissingException}. The configuration is in
 * {@link io.tally.common.config}, the operations and events in {@link io.tally.common.model}, triggers in
 * {@link io.tally.common.trigger}, series windows in {@link io.tally.common.series}.
 *
 * <p>Stable API: changes are announced in CHANGELOG.md, and before 1.0 only a minor version may make them.
 */
package io.tally.common;
