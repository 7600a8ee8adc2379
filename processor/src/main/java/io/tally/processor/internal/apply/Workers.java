package io.tally.processor.internal.apply;

import java.util.Collection;
import java.util.Collections;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** The partitions this processor owns, each with its worker state. Used by the loop thread only. */
public final class Workers {
    private final TreeMap<Integer, PartitionWorker> byPartition = new TreeMap<>();
    private volatile Set<Integer> snapshot = Set.of();

    public void add(int partition) {
        byPartition.put(partition, new PartitionWorker(partition));
        publish();
    }

    /** Returns true when the partition was owned. */
    public boolean remove(int partition) {
        boolean removed = byPartition.remove(partition) != null;
        if (removed) {
            publish();
        }
        return removed;
    }

    public boolean owns(int partition) {
        return byPartition.containsKey(partition);
    }

    public int size() {
        return byPartition.size();
    }

    /** Owned partitions; safe to read from any thread. */
    public Set<Integer> partitions() {
        return snapshot;
    }

    public Collection<PartitionWorker> active() {
        return Collections.unmodifiableCollection(byPartition.values());
    }

    private void publish() {
        snapshot = Collections.unmodifiableSet(new TreeSet<>(byPartition.keySet()));
    }
}
