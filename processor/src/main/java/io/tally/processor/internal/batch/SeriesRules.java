package io.tally.processor.internal.batch;

import io.tally.common.series.SeriesWindow;
import io.tally.common.series.SeriesWindows;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The series settings the fast path folds windowed entries with, and the rules of apply.lua for a
 * {@code windows} field (every name configured, none twice, not empty). Used by the loop thread only.
 */
public final class SeriesRules {
    private static final int MAX_REMEMBERED = 1_000;

    private final SeriesWindows windows;
    private final long futureMs;
    private final InstantSource clock;
    private final Map<String, List<SeriesWindow>> parsed = new HashMap<>();

    /**
     * @param futureMs how far an entry's ts may lead its id time and still pick its buckets, ms
     */
    public SeriesRules(SeriesWindows windows, long futureMs) {
        this(windows, futureMs, InstantSource.system());
    }

    /**
     * @param clock this process's clock, which {@link #aheadOfClock} reads (a test skews it against Redis's)
     */
    public SeriesRules(SeriesWindows windows, long futureMs, InstantSource clock) {
        this.windows = windows;
        this.futureMs = futureMs;
        this.clock = clock;
    }

    /**
     * True when an id's time (unsigned ms) lies more than the future allowance ahead of this process's
     * clock: apply.lua then most likely buckets the entry by Redis time, so the fold leaves such a batch
     * to it at once. A cheap filter only: the clocks differ, and the fast script, which reads Redis time,
     * leaves to apply.lua a batch whose windowed entries this clock judged not ahead but Redis's does.
     */
    boolean aheadOfClock(long idMs) {
        return idMs < 0 || idMs > clock.millis() + futureMs;
    }

    /** The windows a {@code windows} field names, or null when apply.lua would dead-letter it. */
    List<SeriesWindow> windowsOf(String field) {
        List<SeriesWindow> known = parsed.get(field);
        if (known != null || field.isEmpty()) {
            return known;
        }
        List<SeriesWindow> list = new ArrayList<>();
        for (String name : field.split(",", -1)) {
            SeriesWindow w = windows.get(name);
            if (w == null || list.contains(w)) {
                return null;
            }
            list.add(w);
        }
        if (parsed.size() >= MAX_REMEMBERED) {
            parsed.clear();
        }
        parsed.put(field, list);
        return list;
    }

    /** The time an entry counts at: its ts when 0 <= ts <= id time + future allowance, else its id time. */
    long entryTime(Long ts, long idMs) {
        return ts != null && ts >= 0 && ts <= idMs + futureMs ? ts : idMs;
    }
}
