package io.tally.common.internal.log;

import org.slf4j.Logger;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * WARN lines about faults a loop meets on every pass (a key of another type, read once a second): per subject
 * (a key's name), the first line is logged at once, then at most one per interval while the fault lasts, so that
 * a fault is reported clearly without flooding the log, and one key's fault never hides another's. A subject that
 * is {@link #clear cleared} (its fault gone) is logged at once when it fails again. Safe for many threads.
 */
public final class KeyedWarnings {
    /** At most this many subjects are remembered; past it, the map is cleared (subjects are a namespace's keys). */
    private static final int MAX_SUBJECTS = 4096;

    private final Logger log;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private final Map<String, Long> lastLoggedNanos = new ConcurrentHashMap<>();

    public KeyedWarnings(Logger log, long intervalMs) {
        this(log, intervalMs, System::nanoTime);
    }

    KeyedWarnings(Logger log, long intervalMs, LongSupplier nanoClock) {
        this.log = log;
        this.intervalNanos = intervalMs * 1_000_000L;
        this.nanoClock = nanoClock;
    }

    /**
     * Logs the line at WARN unless one about the same subject was logged less than the interval ago.
     *
     * @return whether the line was logged
     */
    public boolean warn(String subject, String format, Object... args) {
        long now = nanoClock.getAsLong();
        boolean[] due = {false};
        if (lastLoggedNanos.size() >= MAX_SUBJECTS && !lastLoggedNanos.containsKey(subject)) {
            lastLoggedNanos.clear();
        }
        lastLoggedNanos.compute(subject, (s, last) -> {
            if (last == null || now - last >= intervalNanos) {
                due[0] = true;
                return now;
            }
            return last;
        });
        if (due[0]) {
            log.warn(format, args);
        }
        return due[0];
    }

    /** Forgets the subject: its fault is gone, so its next one is logged at once. */
    public void clear(String subject) {
        lastLoggedNanos.remove(subject);
    }
}
