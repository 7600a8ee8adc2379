package io.tally.producer.status;

import java.util.Optional;

/**
 * One partition's state.
 *
 * @param partition   the partition
 * @param owner       lease value ({@code <processor id>:<token>}) of the owning processor, or empty when
 *                    no processor holds it
 * @param ops         the ops stream
 * @param events      the events stream
 * @param deadLetters entries in the partition's dead-letter stream
 * @param halt        why its owner reports the partition halted, empty when it is not
 * @param unreadable  why the partition's state could not be read, naming each key another program made of another
 *                    type (its streams, dead-letter stream, checkpoint or halt hash); empty when it was read. When
 *                    present, {@code ops} and {@code events} are {@link TopicStatus#UNKNOWN}, {@code deadLetters}
 *                    is -1 and {@code halt} is empty: nothing of the partition but its owner is known
 */
public record PartitionStatus(int partition, String owner, TopicStatus ops, TopicStatus events, long deadLetters,
                              Optional<HaltStatus> halt, Optional<String> unreadable) {
    /**
     * A partition whose state was read.
     *
     * @param partition   the partition
     * @param owner       lease value of the owning processor, or empty
     * @param ops         the ops stream
     * @param events      the events stream
     * @param deadLetters entries in the partition's dead-letter stream
     * @param halt        why its owner reports the partition halted, empty when it is not
     */
    public PartitionStatus(int partition, String owner, TopicStatus ops, TopicStatus events, long deadLetters,
                           Optional<HaltStatus> halt) {
        this(partition, owner, ops, events, deadLetters, halt, Optional.empty());
    }

    /**
     * A partition whose state could not be read: a key of it holds another type.
     *
     * @param partition the partition
     * @param owner     lease value of the owning processor, or empty
     * @param why       the keys at fault and their types
     * @return its status, nothing known but the owner
     */
    public static PartitionStatus unreadable(int partition, String owner, String why) {
        return new PartitionStatus(partition, owner, TopicStatus.UNKNOWN, TopicStatus.UNKNOWN, -1, Optional.empty(),
                Optional.of(why));
    }

    /**
     * Whether the partition's state was read.
     *
     * @return false when a key of it holds another type ({@link #unreadable()})
     */
    public boolean readable() {
        return unreadable.isEmpty();
    }

    /**
     * Whether a processor holds the partition's lease.
     *
     * @return true when owned
     */
    public boolean owned() {
        return !owner.isEmpty();
    }
}
