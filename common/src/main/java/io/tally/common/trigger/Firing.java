package io.tally.common.trigger;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One entry of a partition's {@code firings} stream, as read by {@code TallyReader.recentFirings} and
 * handed to a {@code FiringHandler}. {@link #toFields()} gives the entry's fields back as Redis holds them.
 *
 * @param partition the partition whose stream holds it
 * @param entryId   the stream entry id
 * @param firingId  {@code <trigger id>:<cause>}; the same firing replayed (e.g. after a Redis failover)
 *                  carries the same id, so consumers may drop repeats by it
 * @param triggerId the trigger that fired
 * @param kind      the trigger's kind
 * @param cause     the applied entry's id (event, threshold) or the due time in epoch ms (time; the newest
 *                  one when earlier ones are merged in)
 * @param firedAt   Redis time of the firing, epoch ms
 * @param missed    time triggers: earlier due times merged into this firing after an outage (0 when on
 *                  time); -1 for other kinds
 * @param params    the trigger's params
 */
public record Firing(int partition, String entryId, String firingId, String triggerId, TriggerKind kind,
                     String cause, long firedAt, long missed, Map<String, String> params) {

    /** Field names of a firing entry. */
    public static final String FIRING_ID = "firing_id", TRIGGER = "trigger", KIND = "kind", CAUSE = "cause",
            FIRED_AT = "fired_at", MISSED = "missed", PARAM_PREFIX = "p.";

    /**
     * Reads a firing from its stream entry.
     *
     * @param partition the partition whose stream holds it
     * @param entryId   the stream entry id
     * @param fields    the entry's fields
     * @return the firing
     * @throws IllegalArgumentException when a required field is missing or malformed
     */
    public static Firing fromFields(int partition, String entryId, Map<String, String> fields) {
        Map<String, String> params = new LinkedHashMap<>();
        fields.forEach((k, v) -> {
            if (k.startsWith(PARAM_PREFIX)) {
                params.put(k.substring(PARAM_PREFIX.length()), v);
            }
        });
        String missed = fields.get(MISSED);
        try {
            return new Firing(partition, entryId, require(fields, FIRING_ID), require(fields, TRIGGER),
                    TriggerKind.parse(require(fields, KIND)), require(fields, CAUSE),
                    Long.parseLong(require(fields, FIRED_AT)), missed == null ? -1 : Long.parseLong(missed),
                    Collections.unmodifiableMap(params));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("firing " + entryId + " on partition " + partition
                    + " has a malformed number: " + e.getMessage(), e);
        }
    }

    /**
     * The entry's fields as a processor writes them: {@code firing_id}, {@code trigger}, {@code kind},
     * {@code cause}, {@code fired_at}, {@code missed} (only when not -1) and {@code p.<name>} per param.
     *
     * @return the fields, in that order
     */
    public Map<String, String> toFields() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(FIRING_ID, firingId);
        fields.put(TRIGGER, triggerId);
        fields.put(KIND, kind.wire());
        fields.put(CAUSE, cause);
        fields.put(FIRED_AT, Long.toString(firedAt));
        if (missed != -1) {
            fields.put(MISSED, Long.toString(missed));
        }
        params.forEach((k, v) -> fields.put(PARAM_PREFIX + k, v));
        return fields;
    }

    private static String require(Map<String, String> fields, String name) {
        String v = fields.get(name);
        if (v == null) {
            throw new IllegalArgumentException("firing entry lacks field '" + name + "'");
        }
        return v;
    }
}
