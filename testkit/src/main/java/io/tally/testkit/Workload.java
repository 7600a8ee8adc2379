package io.tally.testkit;

import io.tally.common.model.CounterOp;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random counter operations together with the values they must produce when each is applied exactly
 * once in order. Values stay far from 64-bit overflow so the model is plain long arithmetic.
 */
public final class Workload {
    private final List<CounterOp> ops;
    private final Map<String, Long> expected;

    private Workload(List<CounterOp> ops, Map<String, Long> expected) {
        this.ops = ops;
        this.expected = expected;
    }

    /** {@code count} operations over {@code counters} counters named {@code c<i>}; mostly incr/decr. */
    public static Workload random(long seed, int count, int counters) {
        Random random = new Random(seed);
        List<CounterOp> ops = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String counter = "c" + random.nextInt(counters);
            int roll = random.nextInt(100);
            CounterOp op;
            if (roll < 60) {
                op = CounterOp.incr(counter, 1 + random.nextInt(100));
            } else if (roll < 90) {
                op = CounterOp.decr(counter, 1 + random.nextInt(100));
            } else if (roll < 97) {
                op = CounterOp.set(counter, random.nextInt(2_000_001) - 1_000_000);
            } else {
                op = CounterOp.reset(counter);
            }
            ops.add(op);
        }
        return new Workload(ops, expectedValues(ops));
    }

    /** The values the operations produce when applied once each, in order. */
    public static Map<String, Long> expectedValues(List<CounterOp> ops) {
        Map<String, Long> values = new HashMap<>();
        for (CounterOp op : ops) {
            if (op.kind() == io.tally.common.model.OpKind.UNIQUE) {
                continue; // adds to a HyperLogLog, not to the total
            }
            long current = values.getOrDefault(op.counter(), 0L);
            long next = switch (op.kind()) {
                case INCR -> current + op.amount();
                case DECR -> current - op.amount();
                case SET -> op.amount();
                case RESET, UNIQUE -> 0;
            };
            values.put(op.counter(), next);
        }
        return values;
    }

    public List<CounterOp> ops() {
        return ops;
    }

    public Map<String, Long> expected() {
        return expected;
    }
}
