/**
 * What producers send: counter operations ({@link io.tally.common.model.CounterOp}) and events
 * ({@link io.tally.common.model.Event}), and {@link io.tally.common.model.InvalidEntryException} for one
 * that breaks the wire format's rules.
 *
 * <p>Stable API: changes are announced in CHANGELOG.md, and before 1.0 only a minor version may make them.
 */
package io.tally.common.model;
