package io.tally.common.internal.trigger;

import io.tally.common.internal.keys.Partitioner;
import io.tally.common.trigger.InvalidTriggerException;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;

/**
 * Trigger ids {@code t<i>-<ULID>}: {@code i} is the partition that holds the trigger, so a trigger is
 * found by id without a scan. The partition is that of the counter (threshold), of the event type
 * (event), or of the ULID itself (time), so that a trigger lives next to what makes it fire.
 */
public final class TriggerIds {
    private TriggerIds() {
    }

    /** A new id for a definition; {@code nowMs} goes into the ULID's time part. */
    public static String newId(TriggerDefinition def, Partitioner partitioner, long nowMs) {
        String ulid = Ulid.next(nowMs);
        String routingKey = switch (def.kind()) {
            case EVENT -> def.eventType();
            case THRESHOLD -> def.counter();
            case TIME -> ulid;
        };
        return "t" + partitioner.partitionOf(routingKey) + "-" + ulid;
    }

    /**
     * The partition named by an id.
     *
     * @throws InvalidTriggerException (field {@code id}) when the id is not {@code t<i>-<ULID>} with
     *                                 {@code i} below {@code partitions}
     */
    public static int partitionOf(String id, int partitions) {
        if (id == null) {
            throw new InvalidTriggerException("id", "missing");
        }
        int dash = id.indexOf('-');
        if (!id.startsWith("t") || dash < 2 || !Ulid.isValid(id.substring(dash + 1))) {
            throw new InvalidTriggerException("id", "'" + abbreviate(id) + "' is not a trigger id (t<partition>-<ULID>)");
        }
        String digits = id.substring(1, dash);
        if (!digits.chars().allMatch(Character::isDigit) || digits.length() > 5
                || (digits.length() > 1 && digits.charAt(0) == '0')) {
            throw new InvalidTriggerException("id", "'" + abbreviate(id) + "' is not a trigger id (t<partition>-<ULID>)");
        }
        int p = Integer.parseInt(digits);
        if (p >= partitions) {
            throw new InvalidTriggerException("id", "'" + id + "' names partition " + p + " but the namespace has "
                    + partitions + " partitions");
        }
        return p;
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...";
    }
}
