package io.tally.producer;

/**
 * A send refused because the partition's backlog or the producer's buffer is full. Nothing was
 * written; retry after {@link #retryAfterMs()}.
 * It carries no stack trace, as every exception a send's future completes with ({@link TallyException}).
 */
public final class BackpressureException extends TallyException {
    private final long retryAfterMs;

    /**
     * A refused send.
     *
     * @param message      what was full
     * @param retryAfterMs how long to wait before trying again, ms
     */
    public BackpressureException(String message, long retryAfterMs) {
        super(message, true, null, false);
        this.retryAfterMs = retryAfterMs;
    }

    /**
     * How long to wait before trying again.
     *
     * @return ms
     */
    public long retryAfterMs() {
        return retryAfterMs;
    }
}
