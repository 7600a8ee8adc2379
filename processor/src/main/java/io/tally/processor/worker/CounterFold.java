package io.tally.processor.worker;

import io.tally.common.wire.WireFormat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A batch of ops entries folded per counter for the fast apply script ({@code apply_counters.lua}):
 * the net delta of each counter, or the value it ends with when the batch sets it, plus the largest
 * running sum any counter reaches relative to its value before the batch. With that bound the script
 * proves, from the stored values alone, that no entry's running value can overflow.
 *
 * <p>{@link #of} folds only what it can decide exactly: incr, decr, set and reset entries of format
 * version 1 that pass the same field rules as apply.lua, without series windows. Anything else
 * (unique, windows, an invalid entry that must become a dead letter, a fold that leaves 64 bits)
 * returns null and the batch goes to apply.lua, which judges every entry on its own.
 */
final class CounterFold {
    /** Lua numbers are exact below 2^53; stored values are accepted below 1e14, so the bound stays under the rest. */
    static final long MAX_BOUND = (1L << 53) - 100_000_000_000_000L;

    private final Map<String, Change> changes;
    private final long bound;

    private CounterFold(Map<String, Change> changes, long bound) {
        this.changes = changes;
        this.bound = bound;
    }

    int counters() {
        return changes.size();
    }

    long bound() {
        return bound;
    }

    /** The changes as the fast script takes them: {@code counter\nchange\n} per counter, in order. */
    String pairs() {
        StringBuilder out = new StringBuilder(changes.size() * 24);
        changes.forEach((counter, change) -> {
            out.append(counter).append('\n');
            if (change.absolute) {
                out.append('=');
            }
            out.append(change.value).append('\n');
        });
        return out.toString();
    }

    /**
     * Folds a batch, or returns null when it needs apply.lua.
     *
     * @param entries    the batch's field maps, in id order
     * @param routesHere tells whether a counter name is valid and belongs to this partition
     */
    static CounterFold of(List<Map<String, String>> entries, CounterNames routesHere) {
        Map<String, Change> changes = new LinkedHashMap<>(entries.size() * 2);
        long bound = 0;
        for (Map<String, String> f : entries) {
            Op op = Op.parse(f, routesHere);
            if (op == null) {
                return null;
            }
            Change c = changes.computeIfAbsent(op.counter, k -> new Change());
            if (op.absolute) {
                c.absolute = true;
                c.value = op.amount;
                continue;
            }
            try {
                c.value = Math.addExact(c.value, op.amount);
            } catch (ArithmeticException overflow) {
                return null; // an entry of this batch overflows 64 bits: apply.lua dead-letters it
            }
            if (!c.absolute) {
                if (c.value == Long.MIN_VALUE || Math.abs(c.value) >= MAX_BOUND) {
                    return null;
                }
                bound = Math.max(bound, Math.abs(c.value));
            }
        }
        return new CounterFold(changes, bound);
    }

    /** A counter's change: a delta to its stored value, or (absolute) the value it ends with. */
    private static final class Change {
        boolean absolute;
        long value;
    }

    /** One counter operation, checked with apply.lua's rules. */
    private record Op(String counter, boolean absolute, long amount) {
        static Op parse(Map<String, String> f, CounterNames routesHere) {
            String version = f.get("v");
            if (version != null && !version.equals(WireFormat.VERSION)) {
                return null;
            }
            if (f.containsKey("windows")) {
                return null;
            }
            String counter = f.get("counter");
            if (counter == null || !routesHere.test(counter)) {
                return null;
            }
            if (!optionalNumber(f.get("ts")) || !optionalName(f.get("id"))) {
                return null;
            }
            String op = f.get("op");
            if (op == null) {
                return null;
            }
            switch (op) {
                case "incr": {
                    Long by = number(f.getOrDefault("by", "1"));
                    return by == null ? null : new Op(counter, false, by);
                }
                case "decr": {
                    Long by = number(f.getOrDefault("by", "1"));
                    return by == null || by == Long.MIN_VALUE ? null : new Op(counter, false, -by);
                }
                case "set": {
                    Long value = number(f.get("value"));
                    return value == null ? null : new Op(counter, true, value);
                }
                case "reset":
                    return new Op(counter, true, 0);
                default:
                    return null;
            }
        }
    }

    private static Long number(String s) {
        if (s == null || !WireFormat.isCanonicalInteger(s)) {
            return null;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException outOfRange) {
            return null;
        }
    }

    /** Checks a number whose value is not needed: up to 18 digits it is in range by its length alone. */
    private static boolean optionalNumber(String s) {
        if (s == null) {
            return true;
        }
        int digits = s.length() - (s.startsWith("-") ? 1 : 0);
        return digits < 19 ? WireFormat.isCanonicalInteger(s) : number(s) != null;
    }

    private static boolean optionalName(String s) {
        return s == null || CounterNames.validName(s);
    }
}
