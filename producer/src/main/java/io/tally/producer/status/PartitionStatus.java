package io.tally.producer.status;

/**
 * One partition's state.
 *
 * @param partition   the partition
 * @param owner       lease value ({@code <processor id>:<token>}) of the owning processor, or empty when
 *                    no processor holds it
 * @param ops         the ops stream
 * @param events      the events stream
 * @param deadLetters entries in the partition's dead-letter stream
 */
public record PartitionStatus(int partition, String owner, TopicStatus ops, TopicStatus events, long deadLetters) {
    public boolean owned() {
        return !owner.isEmpty();
    }
}
