package io.tally.processor.worker;

import io.tally.common.keys.Partitioner;
import io.tally.common.wire.InvalidEntryException;
import io.tally.common.wire.WireFormat;

import java.util.HashSet;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Tells whether a counter name is valid (wire format rules) and routes to this partition, remembering
 * the names it accepted so that a hot counter is checked once. Used by the loop thread only.
 */
final class CounterNames implements Predicate<String> {
    /** Forget everything past this many names, so that a stream of one-off names cannot grow the heap. */
    private static final int MAX_REMEMBERED = 100_000;

    private final int partition;
    private final Partitioner partitioner;
    private final Set<String> accepted = new HashSet<>();

    CounterNames(int partition, int partitions) {
        this.partition = partition;
        this.partitioner = new Partitioner(partitions);
    }

    @Override
    public boolean test(String name) {
        if (accepted.contains(name)) {
            return true;
        }
        if (!validName(name) || partitioner.partitionOf(name) != partition) {
            return false;
        }
        if (accepted.size() >= MAX_REMEMBERED) {
            accepted.clear();
        }
        accepted.add(name);
        return true;
    }

    /**
     * The name rules of apply.lua. Redis hands the processor bytes; a byte sequence that is not UTF-8
     * decodes to U+FFFD, so a name holding U+FFFD is left to the script, which sees the raw bytes.
     */
    static boolean validName(String name) {
        if (name.indexOf('\uFFFD') >= 0) {
            return false;
        }
        try {
            WireFormat.checkName("counter", name);
            return true;
        } catch (InvalidEntryException e) {
            return false;
        }
    }
}
