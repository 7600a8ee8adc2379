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
 */
public record PartitionStatus(int partition, String owner, TopicStatus ops, TopicStatus events, long deadLetters,
                              Optional<HaltStatus> halt) {
    /**
     * Whether a processor holds the partition's lease.
     *
     * @return true when owned
     */
    public boolean owned() {
        return !owner.isEmpty();
    }
}
