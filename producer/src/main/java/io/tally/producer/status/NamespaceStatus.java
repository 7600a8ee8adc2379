package io.tally.producer.status;

import java.util.List;

/**
 * A snapshot of a namespace: every partition and the live processors.
 *
 * @param namespace   the namespace
 * @param redisTimeMs Redis time when the snapshot was taken
 * @param partitions  one entry per partition, in order
 * @param members     live processors, by id
 */
public record NamespaceStatus(String namespace, long redisTimeMs, List<PartitionStatus> partitions,
                              List<MemberStatus> members) {
    /**
     * Copies the lists.
     *
     * @param namespace   the namespace
     * @param redisTimeMs Redis time when the snapshot was taken
     * @param partitions  one entry per partition, in order
     * @param members     live processors, by id
     */
    public NamespaceStatus {
        partitions = List.copyOf(partitions);
        members = List.copyOf(members);
    }

    /**
     * Partitions no processor holds a lease on.
     *
     * @return their count
     */
    public long unowned() {
        return partitions.stream().filter(p -> !p.owned()).count();
    }

    /**
     * Partitions whose owner reports them halted.
     *
     * @return their count
     */
    public long halted() {
        return partitions.stream().filter(p -> p.halt().isPresent()).count();
    }

    /**
     * Partitions whose state could not be read (a key of another type).
     *
     * @return their count
     */
    public long unreadable() {
        return partitions.stream().filter(p -> !p.readable()).count();
    }

    /**
     * Dead letters over the partitions that could be read.
     *
     * @return their count
     */
    public long totalDeadLetters() {
        return partitions.stream().mapToLong(p -> Math.max(0, p.deadLetters())).sum();
    }

    /**
     * Lag plus pending over all streams, counting an unknown lag (or an unreadable partition) as 0.
     *
     * @return entries written but not yet applied
     */
    public long totalBacklog() {
        return partitions.stream().mapToLong(p -> Math.max(0, p.ops().backlog()) + Math.max(0, p.events().backlog())).sum();
    }
}
