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
    /**
     * Checks that the type is given and that each parameter has a name and a value, and copies the
     * parameters; the values are checked when the event is sent (see {@link InvalidEntryException}).
     *
     * @param type   event type, 1-200 bytes of UTF-8
     * @param params parameters; null for none
     * @param id     optional event id, or null
     * @param ts     optional producer time in epoch ms, or null
     */
    public Event {
        Objects.requireNonNull(type, "type");
        params = params == null ? Map.of() : copyParams(params);
    }

    /** A copy of the parameters; a missing name or value fails here, named, rather than as Map.copyOf's bare NPE. */
    private static Map<String, String> copyParams(Map<String, String> params) {
        params.forEach((name, value) -> {
            if (name == null) {
                throw new InvalidEntryException("missing_field", "params", "a parameter has no name (null)");
            }
            if (value == null) {
                throw new InvalidEntryException("missing_field", "p." + name, "parameter '" + name + "' has no value (null)");
            }
        });
        return Map.copyOf(params);
    }

    /**
     * An event without id and time.
     *
     * @param type   event type, 1-200 bytes of UTF-8
     * @param params parameters; null for none
     * @return the event
     */
    public static Event of(String type, Map<String, String> params) {
        return new Event(type, params, null, null);
    }

    /**
     * The same event carrying an id: within {@code dedupe-window-ms}, one entry per id and event type.
     *
     * @param eventId the id
     * @return a new event
     */
    public Event withId(String eventId) {
        return new Event(type, params, eventId, ts);
    }
}
