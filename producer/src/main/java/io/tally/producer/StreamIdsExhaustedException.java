package io.tally.producer;

/**
 * A send refused because its stream's last id was pushed to (or next to) the largest id Redis can give:
 * a writer added an entry with an explicit id such as {@code 18446744073709551615-18446744073709551615},
 * and no {@code XADD *} on that stream can succeed until an operator resets it with
 * {@code tally repair stream-ids --partition P}. Not retriable: retrying cannot help before the repair.
 * It carries no stack trace, as every exception a send's future completes with ({@link TallyException}).
 */
public final class StreamIdsExhaustedException extends TallyException {
    private final String stream;
    private final int partition;

    /**
     * A send refused by a stream whose ids are used up.
     *
     * @param stream    the stream key
     * @param partition its partition
     * @param cause     Redis's refusal
     */
    public StreamIdsExhaustedException(String stream, int partition, Throwable cause) {
        super("stream " + stream + " has no stream id left above its last one (a writer added an entry with an id at "
                + "or near the maximum); sends to partition " + partition + " fail until it is repaired: run `tally "
                + "repair stream-ids --partition " + partition + "` (docs/runbook.md)", false, cause, false);
        this.stream = stream;
        this.partition = partition;
    }

    /**
     * Whether Redis refused an XADD because the stream's ids are used up.
     *
     * @param cause Redis's error
     * @return true when its message says so
     */
    public static boolean matches(Throwable cause) {
        String m = cause.getMessage();
        return m != null && (m.contains("exhausted the last possible ID")
                || m.contains("equal or smaller than the target stream top item"));
    }

    /**
     * The stream key.
     *
     * @return e.g. {@code tally:{p3}:ops}
     */
    public String stream() {
        return stream;
    }

    /**
     * The partition whose stream it is.
     *
     * @return the partition
     */
    public int partition() {
        return partition;
    }
}
