package io.tally.common.model;

import java.util.Map;
import java.util.Objects;

/**
 * A domain event on a partition's {@code events} stream; its type is the routing key.
 *
 * @param type   event type, 1-200 bytes of UTF-8
 * @param params parameters, sent as {@code p.<name>} fields
 * @param id     optional event id, or null
 * @param ts     optional producer time in epoch ms, or null
 */
public record Event(String type, Map<String, String> params, String id, Long ts) {
    public Event {
        Objects.requireNonNull(type, "type");
        params = params == null ? Map.of() : Map.copyOf(params);
    }

    public static Event of(String type, Map<String, String> params) {
        return new Event(type, params, null, null);
    }

    public Event withId(String eventId) {
        return new Event(type, params, eventId, ts);
    }
}
