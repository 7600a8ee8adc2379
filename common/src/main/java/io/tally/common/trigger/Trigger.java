package io.tally.common.trigger;

import io.tally.common.internal.trigger.TriggerJson;
import java.util.Objects;

/**
 * A stored trigger: its id, its definition and its state as last read from Redis.
 *
 * @param id          {@code t<partition>-<ULID>}
 * @param definition  what it watches for
 * @param status      active, fired (once mode, after its firing) or canceled
 * @param fireCount   firings so far
 * @param lastFiredAt Redis time of the last firing, epoch ms, or null
 * @param createdAt   Redis time of creation, epoch ms
 * @param canceledAt  Redis time of cancellation, epoch ms, or null
 */
public record Trigger(String id, TriggerDefinition definition, TriggerStatus status, long fireCount,
                      Long lastFiredAt, long createdAt, Long canceledAt) {
    /**
     * Checks that id, definition and status are given.
     *
     * @param id          {@code t<partition>-<ULID>}
     * @param definition  what it watches for
     * @param status      active, fired or canceled
     * @param fireCount   firings so far
     * @param lastFiredAt Redis time of the last firing, epoch ms, or null
     * @param createdAt   Redis time of creation, epoch ms
     * @param canceledAt  Redis time of cancellation, epoch ms, or null
     */
    public Trigger {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(definition, "definition");
        Objects.requireNonNull(status, "status");
    }

    /**
     * The definition's kind.
     *
     * @return event, threshold or time
     */
    public TriggerKind kind() {
        return definition.kind();
    }

    /**
     * The JSON form: definition fields plus id and state, as the HTTP API returns it.
     *
     * @return a JSON object
     */
    public String toJson() {
        return TriggerJson.write(this);
    }
}
