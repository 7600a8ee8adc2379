package io.tally.producer.dlq;

import io.tally.producer.read.Topic;

/**
 * Which dead letters a list, replay or purge touches; a null criterion matches everything.
 *
 * @param reason    reason code to match exactly, or null
 * @param partition partition to look in, or null for all
 * @param source    source stream, or null for both
 */
public record DeadLetterFilter(String reason, Integer partition, Topic source) {
    /** Matches every dead letter. */
    public static final DeadLetterFilter ALL = new DeadLetterFilter(null, null, null);

    /**
     * Whether a dead letter meets every criterion given.
     *
     * @param letter the dead letter
     * @return true when it matches
     */
    public boolean matches(DeadLetter letter) {
        return (reason == null || reason.equals(letter.reason()))
                && (partition == null || partition == letter.partition())
                && (source == null || source.wireName().equals(letter.source()));
    }

    /**
     * Whether this filter matches every dead letter.
     *
     * @return true when no criterion is given
     */
    public boolean isAll() {
        return reason == null && partition == null && source == null;
    }
}
