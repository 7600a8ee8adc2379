package io.tally.app.service;

import org.slf4j.Logger;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One kind of WARN line that a flood of like events would repeat (a 503 per request while Redis is down, at
 * thousands of requests a second): the first is logged, then at most one per interval, which says how many were
 * left out since the last one logged ("... (1234 more since)"). Safe for many threads; lock-free.
 */
final class ThrottledWarning {
    private final Logger log;
    private final long intervalMs;
    private final InstantSource clock;
    /** When the next line may be logged; the first may be logged at once. */
    private final AtomicLong nextDueMs = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    ThrottledWarning(Logger log, Duration interval, InstantSource clock) {
        this.log = log;
        this.intervalMs = interval.toMillis();
        this.clock = clock;
    }

    /** Logs the line at WARN, or counts it as left out when one was logged less than the interval ago. */
    void warn(String format, Object... args) {
        long now = clock.millis();
        long due = nextDueMs.get();
        if (now < due || !nextDueMs.compareAndSet(due, now + intervalMs)) {
            suppressed.incrementAndGet();
            return;
        }
        long more = suppressed.getAndSet(0);
        if (more == 0) {
            log.warn(format, args);
        } else {
            Object[] withCount = Arrays.copyOf(args, args.length + 1);
            withCount[args.length] = more;
            log.warn(format + " ({} more since)", withCount);
        }
    }
}
