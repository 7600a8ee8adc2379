package io.tally.producer.status;

/**
 * One input stream of a partition, as the consumer group {@code tally} sees it.
 *
 * @param length             entries in the stream (XLEN; retention trims applied ones)
 * @param lastApplied        last applied entry id from the checkpoint, or {@code -} when none yet
 * @param lag                entries not yet delivered to the group, or -1 when Redis cannot tell
 * @param pending            entries delivered but not yet acknowledged
 * @param oldestPendingAgeMs age of the oldest pending entry (Redis time minus its id time), or -1 when
 *                           none is pending
 */
public record TopicStatus(long length, String lastApplied, long lag, long pending, long oldestPendingAgeMs) {
    /** A stream of a partition whose state could not be read ({@link PartitionStatus#unreadable()}): all unknown. */
    public static final TopicStatus UNKNOWN = new TopicStatus(-1, "-", -1, -1, -1);

    /**
     * Lag plus pending: entries written but not yet applied.
     *
     * @return the backlog, or -1 when the lag is unknown
     */
    public long backlog() {
        return lag < 0 ? -1 : lag + pending;
    }
}
