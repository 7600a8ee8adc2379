package io.tally.producer.read;

import java.util.Map;

/**
 * One entry of a partition's {@code firings} stream.
 *
 * @param partition the partition whose stream holds it
 * @param id        stream entry id
 * @param fields    the entry's fields ({@code firing_id}, {@code trigger}, {@code kind}, {@code cause},
 *                  {@code fired_at}, {@code p.<name>}, ...)
 */
public record Firing(int partition, String id, Map<String, String> fields) {
    /**
     * Copies the fields.
     *
     * @param partition the partition whose stream holds it
     * @param id        stream entry id
     * @param fields    the entry's fields
     */
    public Firing {
        fields = Map.copyOf(fields);
    }
}
