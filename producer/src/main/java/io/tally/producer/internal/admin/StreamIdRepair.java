package io.tally.producer.internal.admin;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.status.StreamIdHorizon;
import io.tally.producer.read.Topic;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;

import java.time.Duration;
import java.util.List;

/**
 * Repairs an input stream whose ids a writer pushed beyond {@link StreamIdHorizon} (an explicit XADD id
 * years ahead, or the maximal id, after which every {@code XADD *} fails), by calling
 * {@code repair_stream_ids.lua} until it is done. Each call is atomic: it moves at most
 * {@value #PER_CALL} applied future entries to the dead letters (reason {@code future_id}, marked
 * {@code applied}), or, once none is left, resets the stream's last id, a future checkpoint and the
 * consumer groups to one id XADD * continues from. Nothing is written while a future entry is not yet
 * applied: the repair waits for the processors, so every entry takes effect exactly once.
 */
public final class StreamIdRepair {
    private static final LuaScript REPAIR = LuaScript.resource("repair_stream_ids");
    /** Future entries moved per script call, so that no call blocks Redis for long. */
    public static final int PER_CALL = 200;
    private static final long POLL_MS = 100;

    private final RedissonClient redis;
    private final Keys keys;

    public StreamIdRepair(RedissonClient redis, Keys keys) {
        this.redis = redis;
        this.keys = keys;
    }

    /**
     * What a repair would find, read without writing.
     *
     * @param exists         whether the stream exists
     * @param redisTimeMs    Redis time
     * @param lastId         the stream's last generated id
     * @param checkpoint     the last applied id, empty before the first apply
     * @param futureEntries  entries beyond the horizon, counted up to {@value #PER_CALL}
     * @param firstFuture    the oldest of them, empty when none
     * @param delivered      the group's last delivered id, empty without the group
     */
    public record Check(boolean exists, long redisTimeMs, String lastId, String checkpoint, int futureEntries,
                        String firstFuture, String delivered) {
        /** Whether anything lies beyond the horizon (the last id, the checkpoint or the group). */
        public boolean needed() {
            return exists && (StreamIdHorizon.beyond(lastId, redisTimeMs) || StreamIdHorizon.beyond(checkpoint, redisTimeMs)
                    || StreamIdHorizon.beyond(delivered, redisTimeMs));
        }
    }

    /**
     * What a repair did.
     *
     * @param moved         future entries moved to the dead letters
     * @param lastId        the stream's last id before
     * @param resetTo       the id the stream, a future checkpoint and future groups were set to; empty when
     *                      nothing needed it
     * @param checkpoint    the checkpoint before
     * @param newCheckpoint the checkpoint after
     * @param groupsReset   consumer groups whose last delivered id was set to {@code resetTo}
     */
    public record Result(int moved, String lastId, String resetTo, String checkpoint, String newCheckpoint,
                         int groupsReset) {
        public boolean changed() {
            return moved > 0 || !resetTo.isEmpty();
        }
    }

    public Check check(int partition, Topic topic) {
        List<Object> r = call(partition, topic, "check");
        if ("NOSTREAM".equals(r.get(0))) {
            return new Check(false, 0, "", "", 0, "", "");
        }
        return new Check(true, Long.parseLong(s(r, 1)), s(r, 2), s(r, 3), Integer.parseInt(s(r, 4)), s(r, 5), s(r, 6));
    }

    /**
     * Repairs one stream, waiting up to {@code wait} for the processors to apply its future entries.
     *
     * @throws StreamIdRepairException when a future entry is still not applied after {@code wait}, or another
     *                                 consumer group has not read them, or the dead-letter stream cannot take
     *                                 them (another type, or out of ids): nothing of that call was written
     */
    public Result repair(int partition, Topic topic, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        int moved = 0;
        while (true) {
            List<Object> r = call(partition, topic, "repair");
            String where = "partition " + partition + " " + topic.wireName();
            switch (s(r, 0)) {
                case "NOSTREAM" -> {
                    return new Result(moved, "", "", "", "", 0);
                }
                case "OK" -> {
                    return new Result(moved, s(r, 1), "", s(r, 2), s(r, 2), 0);
                }
                case "RESET" -> {
                    return new Result(moved, s(r, 2), s(r, 1), s(r, 3), s(r, 4), Integer.parseInt(s(r, 5)));
                }
                case "MOVED" -> moved += Integer.parseInt(s(r, 1));
                case "NOROOM" -> throw new StreamIdRepairException(where + ": " + s(r, 1) + "; nothing was moved "
                        + "(empty or delete the dead-letter stream, or repair its ids, then run the repair again)");
                case "GROUP" -> throw new StreamIdRepairException(where + ": consumer group '" + s(r, 1)
                        + "' has not read or acknowledged the entries with future ids (last delivered " + s(r, 2)
                        + "); let it catch up or remove it (XGROUP DESTROY) and run the repair again");
                case "UNAPPLIED" -> {
                    if (System.nanoTime() > deadline) {
                        throw new StreamIdRepairException(where + ": entry " + s(r, 1) + " lies beyond the horizon and "
                                + "is not applied yet (checkpoint " + (s(r, 2).isEmpty() ? "none" : s(r, 2))
                                + ") after waiting " + wait.toSeconds() + " s; the repair removes only applied entries. "
                                + "Start the processors or let them catch up (tally status), then run it again");
                    }
                    sleep();
                }
                default -> throw new IllegalStateException(where + ": unexpected reply " + r);
            }
        }
    }

    private List<Object> call(int partition, Topic topic, String mode) {
        String stream = topic == Topic.OPS ? keys.ops(partition) : keys.events(partition);
        return REPAIR.eval(redis, RScript.ReturnType.LIST, List.of(stream, keys.checkpoint(partition), keys.dlq(partition)),
                topic.wireName(), StreamIdHorizon.TOLERANCE_MS, PER_CALL, mode);
    }

    private static String s(List<Object> reply, int at) {
        return String.valueOf(reply.get(at));
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StreamIdRepairException("interrupted while waiting for the processors");
        }
    }
}
