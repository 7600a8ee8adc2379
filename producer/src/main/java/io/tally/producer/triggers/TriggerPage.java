package io.tally.producer.triggers;

import io.tally.common.trigger.Trigger;

import java.util.List;

/**
 * One page of a trigger listing ({@link TriggerClient#listPage}).
 *
 * @param triggers the triggers of this page, at most the limit asked for, possibly none though more follow
 * @param cursor   where the next page starts (pass it to the next call), or null when the listing is complete
 */
public record TriggerPage(List<Trigger> triggers, String cursor) {
}
