package io.tally.it.series;

import io.tally.common.model.CounterOp;
import io.tally.common.series.SeriesWindow;
import io.tally.common.series.SeriesWindows;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Expected series buckets of a list of windowed operations whose {@code ts} is sane (not late, not
 * ahead of the entry's id time): window → counter → bucket start → sum of deltas.
 */
final class SeriesModel {
    private final Map<String, Map<String, Map<Long, Long>>> sums = new HashMap<>();
    private final SeriesWindows windows;

    SeriesModel(SeriesWindows windows) {
        this.windows = windows;
    }

    static SeriesModel of(SeriesWindows windows, List<CounterOp> ops) {
        SeriesModel m = new SeriesModel(windows);
        ops.forEach(m::add);
        return m;
    }

    void add(CounterOp op) {
        long delta = switch (op.kind()) {
            case INCR -> op.amount();
            case DECR -> -op.amount();
            default -> 0;
        };
        for (String name : op.windows()) {
            SeriesWindow w = windows.get(name);
            sums.computeIfAbsent(name, x -> new HashMap<>()).computeIfAbsent(op.counter(), x -> new HashMap<>())
                    .merge(w.bucketStart(op.ts()), delta, Long::sum);
        }
    }

    /** Bucket start → sum for one counter and window (buckets without entries are absent). */
    Map<Long, Long> buckets(String window, String counter) {
        return sums.getOrDefault(window, Map.of()).getOrDefault(counter, Map.of());
    }
}
