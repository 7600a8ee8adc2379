package io.tally.processor.badinput;

import io.tally.common.model.CounterOp;

import java.util.Map;
import java.util.TreeMap;

/** Counter values as Java computes them from applied operations; a 64-bit overflow is a dead letter. */
final class CounterModel {
    private final Map<String, Long> values = new TreeMap<>();

    /** Applies the op; returns false (dead letter 'overflow') when the result leaves 64 bits. */
    boolean apply(CounterOp op) {
        long current = values.getOrDefault(op.counter(), 0L);
        try {
            long next = switch (op.kind()) {
                case INCR -> Math.addExact(current, op.amount());
                case DECR -> Math.subtractExact(current, op.amount());
                case SET -> op.amount();
                case RESET -> 0L;
                default -> throw new IllegalStateException("not a counter op: " + op.kind());
            };
            values.put(op.counter(), next);
            return true;
        } catch (ArithmeticException overflow) {
            values.putIfAbsent(op.counter(), current);
            return false;
        }
    }

    Map<String, Long> values() {
        return values;
    }
}
