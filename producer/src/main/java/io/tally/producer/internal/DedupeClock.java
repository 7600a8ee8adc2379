package io.tally.producer.internal;

/**
 * The dedupe bucket a producer's calls name ({@link io.tally.common.internal.keys.DedupeLayout#BUCKETS_V1}):
 * {@code floor(time ms / dedupe window)} by this machine's clock, moved by how far Redis's clock was off
 * when append_runs.lua last refused a call's buckets. That refusal ({@link DedupeBucketRefusal}, with
 * Redis time) wrote nothing; the call goes again with Redis's bucket. So two machines' clocks need not
 * agree: a skew costs one refused call near a bucket's edge.
 */
final class DedupeClock {
    private final long windowMs;
    private volatile long offsetMs;

    DedupeClock(long windowMs) {
        this.windowMs = windowMs;
    }

    /** Moves this clock by {@code ms}, as a machine's clock that is off (for tests). */
    void skew(long ms) {
        offsetMs += ms;
    }

    /** The current bucket, by this clock and the last offset Redis told. */
    long bucket() {
        return Math.floorDiv(System.currentTimeMillis() + offsetMs, windowMs);
    }

    /** Takes Redis's time from a DEDUPEBUCKET refusal among a pipeline's failures; ignores anything else. */
    void learnFrom(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof DedupeBucketRefusal refusal) {
                if (refusal.redisMs() >= 0) {
                    offsetMs = refusal.redisMs() - System.currentTimeMillis();
                }
                return;
            }
        }
    }
}
