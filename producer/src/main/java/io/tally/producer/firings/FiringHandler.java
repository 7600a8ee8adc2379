package io.tally.producer.firings;

import io.tally.common.trigger.Firing;

/**
 * Application code run for each firing. Returning acknowledges the firing; throwing leaves it pending,
 * to be delivered again after the consumer's claim idle time, and sent to the dead-letter stream after
 * {@code maxDeliveries} deliveries. Delivery is at-least-once: make the handler idempotent, e.g. by
 * remembering {@link Firing#firingId()}.
 */
@FunctionalInterface
public interface FiringHandler {
    /**
     * Handles one firing.
     *
     * @param firing the firing
     * @throws Exception to leave the firing pending, to be delivered again
     */
    void handle(Firing firing) throws Exception;
}
