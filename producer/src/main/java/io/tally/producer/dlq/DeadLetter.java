package io.tally.producer.dlq;

import java.util.Map;

/**
 * One entry of a partition's dead-letter stream.
 *
 * @param partition the partition
 * @param id        the dead letter's own entry id
 * @param reason    short code ({@code bad_number}, {@code unknown_op}, ...)
 * @param error     the message, naming the field
 * @param source    {@code ops} or {@code events}
 * @param sourceId  the id the entry had in its source stream
 * @param original  the original entry's fields (the {@code f.*} fields without the prefix)
 */
public record DeadLetter(int partition, String id, String reason, String error, String source, String sourceId,
                         Map<String, String> original) {
    /**
     * Copies the original fields.
     *
     * @param partition the partition
     * @param id        the dead letter's own entry id
     * @param reason    short code ({@code bad_number}, {@code unknown_op}, ...)
     * @param error     the message, naming the field
     * @param source    {@code ops} or {@code events}
     * @param sourceId  the id the entry had in its source stream
     * @param original  the original entry's fields
     */
    public DeadLetter {
        original = Map.copyOf(original);
    }

    /**
     * Reads a dead letter from the fields of its entry.
     *
     * @param partition the partition
     * @param id        the dead letter's entry id
     * @param fields    the entry's fields ({@code reason}, {@code error}, {@code source}, {@code source_id},
     *                  {@code f.*})
     * @return the dead letter; missing fields are empty
     */
    public static DeadLetter of(int partition, String id, Map<String, String> fields) {
        Map<String, String> original = new java.util.LinkedHashMap<>();
        fields.forEach((k, v) -> {
            if (k.startsWith("f.")) {
                original.put(k.substring(2), v);
            }
        });
        return new DeadLetter(partition, id, fields.getOrDefault("reason", ""), fields.getOrDefault("error", ""),
                fields.getOrDefault("source", ""), fields.getOrDefault("source_id", ""), original);
    }
}
