package io.tally.producer.dlq;

import java.util.List;

/**
 * Lists, replays and purges dead letters (entries a processor could not apply, with the reason), oldest
 * first, partition by partition. Get one from {@link io.tally.producer.Tally#deadLetters()}.
 *
 * <p>Replay re-appends a dead letter's original fields to its source stream and deletes the dead
 * letter in one atomic step, so a crash in between neither loses nor doubles it. The entry goes back to
 * the same partition; a {@code wrong_partition} letter therefore comes back as a dead letter again
 * (re-send it through a producer instead). The whole entry goes back or nothing: a letter of an entry
 * with more than 1,000 fields is replayed from its {@code raw} field, and a letter that cannot go back
 * whole is refused and kept. Calls are synchronous and thread-safe.
 */
public interface DeadLetters {

    /**
     * Matching dead letters, oldest first per partition, partitions in order.
     *
     * @param filter which letters; {@link DeadLetterFilter#ALL} for all
     * @param limit  most letters returned
     * @return at most {@code limit} letters
     */
    List<DeadLetter> list(DeadLetterFilter filter, int limit);

    /**
     * Number of dead letters of a partition, regardless of any filter.
     *
     * @param partition the partition
     * @return the length of its dead-letter stream
     */
    long count(int partition);

    /**
     * Replays up to {@code limit} matching dead letters.
     *
     * @param filter which letters; {@link DeadLetterFilter#ALL} for all
     * @param limit  most letters replayed
     * @return the replayed letters with the ids they got in their source stream
     * @throws IllegalStateException when a letter's source is neither {@code ops} nor {@code events}
     * @throws RuntimeException Redis's error reply naming the letter and why, when a letter is refused
     *         and kept (marked {@code applied}, not replayable whole, or a source stream that cannot take
     *         an entry); the letters before it were replayed
     * @throws io.tally.producer.OutcomeUnknownException naming the letter, when Redis did not answer its replay within
     *         {@code redis-timeout-ms} (it may still run it); the letters before it were replayed. Replaying again
     *         is safe: a letter leaves the dead-letter stream in the same step as its entry is appended
     */
    List<Replayed> replay(DeadLetterFilter filter, int limit);

    /**
     * Deletes up to {@code limit} matching dead letters.
     *
     * @param filter which letters; {@link DeadLetterFilter#ALL} for all
     * @param limit  most letters deleted
     * @return how many were deleted
     * @throws io.tally.producer.OutcomeUnknownException naming how many were deleted and the letter, when Redis did
     *         not answer that letter's delete within {@code redis-timeout-ms} (it may still run it); purging again
     *         is safe
     */
    long purge(DeadLetterFilter filter, int limit);

    /**
     * A replayed dead letter.
     *
     * @param letter the dead letter as it was
     * @param newId  the id of the re-appended entry in the source stream
     */
    record Replayed(DeadLetter letter, String newId) {
    }
}
