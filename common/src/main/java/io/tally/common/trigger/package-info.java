/**
 * Triggers: their definitions ({@link io.tally.common.trigger.TriggerDefinition}), stored state
 * ({@link io.tally.common.trigger.Trigger}) and firings ({@link io.tally.common.trigger.Firing}).
 *
 * <p>Stable API: changes are announced in CHANGELOG.md, and before 1.0 only a minor version may make them.
 */
package io.tally.common.trigger;
