package io.tally.common.model;

import java.util.List;
import java.util.Objects;

/**
 * One counter operation as it travels on a partition's {@code ops} stream.
 *
 * @param kind     what to do
 * @param counter  counter name (the routing key)
 * @param amount   {@code by} for incr/decr, {@code value} for set, unused (0) for reset and unique
 * @param id       optional idempotency key, or null
 * @param ts       optional producer time in epoch ms, or null
 * @param member   the member a {@code unique} operation adds, else null
 * @param windows  series windows (e.g. {@code 1m}, {@code 1h}) the operation also counts in; empty for none
 */
public record CounterOp(OpKind kind, String counter, long amount, String id, Long ts, String member,
                        List<String> windows) {
    public CounterOp {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(counter, "counter");
        windows = windows == null ? List.of() : List.copyOf(windows);
    }

    /** An operation without member and windows. */
    public CounterOp(OpKind kind, String counter, long amount, String id, Long ts) {
        this(kind, counter, amount, id, ts, null, List.of());
    }

    public static CounterOp incr(String counter, long by) {
        return new CounterOp(OpKind.INCR, counter, by, null, null);
    }

    public static CounterOp decr(String counter, long by) {
        return new CounterOp(OpKind.DECR, counter, by, null, null);
    }

    public static CounterOp set(String counter, long value) {
        return new CounterOp(OpKind.SET, counter, value, null, null);
    }

    public static CounterOp reset(String counter) {
        return new CounterOp(OpKind.RESET, counter, 0, null, null);
    }

    /** Adds {@code member} (1-200 bytes of UTF-8) to the unique count of {@code counter}. */
    public static CounterOp unique(String counter, String member) {
        return new CounterOp(OpKind.UNIQUE, counter, 0, null, null, member, List.of());
    }

    /** The same operation carrying an idempotency key. */
    public CounterOp withId(String operationId) {
        return new CounterOp(kind, counter, amount, operationId, ts, member, windows);
    }

    /** The same operation with a producer time, epoch ms (it picks the series buckets). */
    public CounterOp withTs(long epochMs) {
        return new CounterOp(kind, counter, amount, id, epochMs, member, windows);
    }

    /** The same operation also counted in the buckets of these windows (incr, decr and unique only). */
    public CounterOp withWindows(String... windowNames) {
        return new CounterOp(kind, counter, amount, id, ts, member, List.of(windowNames));
    }
}
