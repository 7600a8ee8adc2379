package io.tally.producer.internal.read;

import io.tally.producer.read.CounterValue;

import java.util.List;
import java.util.TreeMap;

/**
 * The {@code limit} counters whose names sort first among those offered, in memory bounded by
 * {@code limit} however many are offered: a full set drops its last name for a smaller one. A name offered
 * twice (HSCAN may return one twice while Redis resizes a hash) is kept once.
 */
final class FirstByName {
    private final int limit;
    private final TreeMap<String, CounterValue> kept = new TreeMap<>();

    /** @throws IllegalArgumentException when {@code limit} is negative */
    FirstByName(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be at least 0, got " + limit);
        }
        this.limit = limit;
    }

    void offer(CounterValue counter) {
        if (kept.size() == limit && (limit == 0 || counter.name().compareTo(kept.lastKey()) >= 0)) {
            return;
        }
        kept.put(counter.name(), counter);
        if (kept.size() > limit) {
            kept.pollLastEntry();
        }
    }

    /** How many are kept now: at most {@code limit}. */
    int size() {
        return kept.size();
    }

    /** The kept counters, sorted by name. */
    List<CounterValue> sorted() {
        return List.copyOf(kept.values());
    }
}
