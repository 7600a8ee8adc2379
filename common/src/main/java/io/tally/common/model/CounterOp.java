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
    /**
     * Checks that kind and counter are given and copies the windows; the fields' values are checked when
     * the operation is sent (see {@link InvalidEntryException}).
     *
     * @param kind     what to do
     * @param counter  counter name (the routing key)
     * @param amount   {@code by} for incr/decr, {@code value} for set, unused (0) for reset and unique
     * @param id       optional idempotency key, or null
     * @param ts       optional producer time in epoch ms, or null
     * @param member   the member a {@code unique} operation adds, else null
     * @param windows  series windows the operation also counts in; null or empty for none
     */
    public CounterOp {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(counter, "counter");
        windows = windows == null ? List.of() : List.copyOf(windows);
    }

    /**
     * An operation without member and windows.
     *
     * @param kind    what to do
     * @param counter counter name
     * @param amount  {@code by} for incr/decr, {@code value} for set, 0 for reset
     * @param id      optional idempotency key, or null
     * @param ts      optional producer time in epoch ms, or null
     */
    public CounterOp(OpKind kind, String counter, long amount, String id, Long ts) {
        this(kind, counter, amount, id, ts, null, List.of());
    }

    /**
     * Adds {@code by} to {@code counter}.
     *
     * @param counter counter name, 1-200 bytes of UTF-8
     * @param by      the amount; negative subtracts
     * @return the operation
     */
    public static CounterOp incr(String counter, long by) {
        return new CounterOp(OpKind.INCR, counter, by, null, null);
    }

    /**
     * Subtracts {@code by} from {@code counter}.
     *
     * @param counter counter name, 1-200 bytes of UTF-8
     * @param by      the amount
     * @return the operation
     */
    public static CounterOp decr(String counter, long by) {
        return new CounterOp(OpKind.DECR, counter, by, null, null);
    }

    /**
     * Sets {@code counter} to {@code value}.
     *
     * @param counter counter name, 1-200 bytes of UTF-8
     * @param value   the new value
     * @return the operation
     */
    public static CounterOp set(String counter, long value) {
        return new CounterOp(OpKind.SET, counter, value, null, null);
    }

    /**
     * Sets {@code counter} to 0.
     *
     * @param counter counter name, 1-200 bytes of UTF-8
     * @return the operation
     */
    public static CounterOp reset(String counter) {
        return new CounterOp(OpKind.RESET, counter, 0, null, null);
    }

    /**
     * Adds {@code member} to the unique count of {@code counter} (a HyperLogLog; the integer value is
     * untouched).
     *
     * @param counter counter name, 1-200 bytes of UTF-8
     * @param member  the member, 1-200 bytes of UTF-8
     * @return the operation
     */
    public static CounterOp unique(String counter, String member) {
        return new CounterOp(OpKind.UNIQUE, counter, 0, null, null, member, List.of());
    }

    /**
     * The same operation carrying an idempotency key: within {@code dedupe-window-ms}, one entry per id and
     * counter, however often it is sent.
     *
     * @param operationId the key, e.g. an order id
     * @return a new operation
     */
    public CounterOp withId(String operationId) {
        return new CounterOp(kind, counter, amount, operationId, ts, member, windows);
    }

    /**
     * The same operation with a producer time, which picks its series buckets.
     *
     * @param epochMs the time, epoch ms
     * @return a new operation
     */
    public CounterOp withTs(long epochMs) {
        return new CounterOp(kind, counter, amount, id, epochMs, member, windows);
    }

    /**
     * The same operation also counted in the buckets of these series windows (incr, decr and unique only).
     *
     * @param windowNames windows of {@code series-windows}, e.g. {@code 1m} or {@code 1d}
     * @return a new operation
     */
    public CounterOp withWindows(String... windowNames) {
        return new CounterOp(kind, counter, amount, id, ts, member, List.of(windowNames));
    }
}
