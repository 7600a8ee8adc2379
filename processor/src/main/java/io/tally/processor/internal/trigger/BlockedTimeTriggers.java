package io.tally.processor.internal.trigger;

import io.tally.processor.ProcessorListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Reports partitions whose time triggers cannot fire because {@code time_fire.lua} found a key it needs
 * in a state no processor writes (the firings stream holding another type or out of ids, the schedule or
 * the triggers hash holding another type). The script then writes nothing and the triggers stay due, so
 * the scheduler asks again every poll; this logs a warning when it starts and once a minute while it
 * lasts, and a line when it ends, and keeps the count of blocked partitions in the metrics.
 */
final class BlockedTimeTriggers {
    private static final Logger log = LoggerFactory.getLogger(BlockedTimeTriggers.class);
    private static final long REPEAT_NANOS = TimeUnit.MINUTES.toNanos(1);

    /** Partition → when its block was last logged (nanoTime). */
    private final Map<Integer, Long> warned = new HashMap<>();
    private final ProcessorListener metrics;

    BlockedTimeTriggers(ProcessorListener metrics) {
        this.metrics = metrics;
    }

    /** The partition's script wrote nothing, for this reason. */
    void blocked(int partition, String why) {
        long now = System.nanoTime();
        Long last = warned.get(partition);
        if (last == null || now - last >= REPEAT_NANOS) {
            warned.put(partition, now);
            metrics.timeTriggersBlocked(warned.size());
            log.warn("partition {}: time triggers cannot fire ({}); nothing was written and the due triggers stay "
                    + "scheduled, to fire late once the key is repaired (see docs/triggers.md, 'When a firing cannot "
                    + "be written')", partition, why);
        }
    }

    /** The partition's script ran (fired or found nothing due). */
    void notBlocked(int partition) {
        if (warned.remove(partition) != null) {
            metrics.timeTriggersBlocked(warned.size());
            log.info("partition {}: time triggers are no longer blocked", partition);
        }
    }

    /** Forgets partitions no longer owned. */
    void retain(Collection<Integer> owned) {
        if (!warned.isEmpty() && warned.keySet().retainAll(owned)) {
            metrics.timeTriggersBlocked(warned.size());
        }
    }
}
