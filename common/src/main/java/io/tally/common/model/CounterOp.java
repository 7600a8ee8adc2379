package io.tally.common.model;

import java.util.Objects;

/**
 * One counter operation as it travels on a partition's {@code ops} stream.
 *
 * @param kind     what to do
 * @param counter  counter name (the routing key)
 * @param amount   {@code by} for incr/decr, {@code value} for set, unused (0) for reset
 * @param id       optional idempotency key, or null
 * @param ts       optional producer time in epoch ms, or null
 */
public record CounterOp(OpKind kind, String counter, long amount, String id, Long ts) {
    public CounterOp {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(counter, "counter");
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

    /** The same operation carrying an idempotency key. */
    public CounterOp withId(String operationId) {
        return new CounterOp(kind, counter, amount, operationId, ts);
    }

    public CounterOp withTs(long epochMs) {
        return new CounterOp(kind, counter, amount, id, epochMs);
    }
}
