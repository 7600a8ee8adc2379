package io.tally.producer.triggers;

import io.tally.common.trigger.InvalidTriggerException;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerKind;
import io.tally.common.trigger.TriggerStatus;
import io.tally.common.trigger.UnreadableTriggerException;

import java.util.List;
import java.util.Optional;

/**
 * Creates, reads, lists and cancels triggers. Each write is one atomic script on the trigger's
 * partition (definition, state, matching index and schedule together), so a failed call leaves
 * nothing half-written. The id ({@code t<partition>-<ULID>}) names the partition, so {@link #get} and
 * {@link #cancel} touch one partition without a scan. Calls are synchronous and thread-safe.
 *
 * <p>Firing is done by the processors: event and threshold triggers inside the atomic apply of the
 * entry that caused them, time triggers by the partition's owner on Redis time. Read firings with
 * {@link io.tally.producer.firings.FiringsConsumer}.
 */
public interface TriggerClient extends AutoCloseable {

    /**
     * Stores a new active trigger. A threshold trigger whose condition already holds is stored unarmed: it
     * fires only after the counter has crossed back and then again.
     *
     * @param definition what the trigger watches for
     * @return the trigger with its id and Redis creation time
     * @throws InvalidTriggerException when a {@code once} time trigger is due in the past (field {@code at});
     *                                 other fields were checked when the definition was built
     * @throws TriggerLimitException   when {@code max-triggers-per-key} or {@code max-triggers} is reached, or a
     *                                 repeating time trigger would take the firings a second of the namespace's
     *                                 active repeating time triggers past {@code max-time-firings-per-second}
     * @throws io.tally.producer.OutcomeUnknownException when the trigger may be stored: Redis did not answer the
     *                                 create within {@code redis-timeout-ms}, and its repeats with the same id (while
     *                                 Redis is unreachable or silent) got no answer either or were refused (a cap
     *                                 or an error: the unanswered attempt may still run after the repeat); or a
     *                                 repeat found it stored and reading it back failed. The message names the id
     *                                 to {@link #get}. Any other failure stored nothing.
     */
    Trigger create(TriggerDefinition definition);

    /**
     * Reads a trigger with its current state.
     *
     * @param id the trigger's id
     * @return the trigger, or empty when no trigger has this id
     * @throws InvalidTriggerException    (field {@code id}) when the id is not a trigger id of this namespace
     * @throws UnreadableTriggerException when another program stored fields of this trigger that Tally cannot read
     */
    Optional<Trigger> get(String id);

    /**
     * Lists the triggers of all partitions, optionally filtered: every one of them, however many (up to
     * {@code max-triggers}); for bounded work per call, see {@link #listPage}.
     *
     * @param status only this status, or null for any
     * @param kind   only this kind, or null for any
     * @return the triggers
     */
    List<Trigger> list(TriggerStatus status, TriggerKind kind);

    /**
     * One page of the triggers of all partitions, optionally filtered, in no particular order, with work
     * bounded by {@code limit} (a few HSCAN calls of about {@code limit} triggers), not by the number of
     * triggers, and its size by {@link #MAX_PAGE_BYTES}. Page on with the returned cursor until it is null. A
     * trigger present for the whole listing is returned at least once, however often the hash changes: a page
     * takes each HSCAN call's triggers whole or leaves the call to the next page. So {@code limit} is approximate: a
     * page may hold fewer than {@code limit} triggers, even none, before the end, or a few more, never more than
     * twice {@code limit} unless its first call alone does (docs/triggers.md, "Bounds").
     *
     * @param status only this status, or null for any
     * @param kind   only this kind, or null for any
     * @param cursor null or empty for the first page, else {@link TriggerPage#cursor()} of the page before
     * @param limit  about how many triggers this page holds, 1 to {@link #MAX_PAGE_LIMIT}
     * @return the page and where the next one starts
     * @throws IllegalArgumentException when the cursor is not one this namespace's listing returned, or the
     *                                  limit is out of range
     */
    TriggerPage listPage(TriggerStatus status, TriggerKind kind, String cursor, int limit);

    /** The largest {@code limit} of {@link #listPage}. */
    int MAX_PAGE_LIMIT = 1000;

    /**
     * About how many bytes of stored fields (ids, definitions and state) one page of {@link #listPage} holds: the
     * page ends once it has no room left for one more trigger like those it holds, and never holds twice this
     * unless its first HSCAN call alone does (a page takes its first call, at its initial COUNT of some 16 triggers,
     * whole whatever its size, so paging always advances).
     */
    int MAX_PAGE_BYTES = 1 << 20;

    /**
     * Cancels an active trigger: its status becomes {@code canceled} and it leaves matching and the
     * schedule at once (a processor applying a later batch no longer sees it). A trigger that is no longer
     * active is returned unchanged, so its status tells whether it had fired or was canceled before.
     *
     * @param id the trigger's id
     * @return the trigger after the call, or empty when no trigger has this id
     * @throws InvalidTriggerException    (field {@code id}) when the id is not a trigger id of this namespace
     * @throws UnreadableTriggerException when another program stored fields of this trigger that Tally cannot read;
     *                                    the cancel reads only the status, so an active trigger is canceled all the
     *                                    same ({@link UnreadableTriggerException#canceled()} says whether it was)
     * @throws io.tally.producer.OutcomeUnknownException when Redis did not answer the cancel within
     *                                    {@code redis-timeout-ms} (it may still run it), or failed to read the
     *                                    trigger back once it was canceled: cancel again, which is safe (a cancel is
     *                                    idempotent); any other failure wrote nothing
     */
    Optional<Trigger> cancel(String id);

    /**
     * The namespace's partition count.
     *
     * @return P
     */
    int partitions();

    /** Releases the client's resources; a client handed out by a {@link io.tally.producer.Tally} is closed with it. */
    @Override
    void close();
}
