package io.tally.producer.read;

/**
 * One bucket of a counter's series.
 *
 * @param start the bucket's start, epoch ms, aligned on the window's length
 * @param value the sum of the deltas applied in the bucket
 */
public record SeriesBucket(long start, long value) {
    /** Most buckets one {@link TallyReader#series} call returns. */
    public static final int MAX_BUCKETS = 10_000;
}
