package io.tally.common.internal.status;

/**
 * How far ahead of Redis time a stream id may lie before Tally treats its stream as pushed out of range.
 * Any program that can XADD may give an entry an explicit id; once a stream's last generated id lies in
 * the far future, every later {@code XADD *} on it writes ids in that future, and at the maximal id
 * {@code 18446744073709551615-18446744073709551615} every later {@code XADD *} fails. The processor
 * reports such a stream ({@code stream_id_exhausted}) and {@code tally repair stream-ids} resets it; both
 * use this horizon.
 */
public final class StreamIdHorizon {
    /**
     * One day: a writer whose clock runs hours ahead is no fault of the stream, and a day is far beyond any
     * clock error while still far below the years a hostile or broken writer produces.
     */
    public static final long TOLERANCE_MS = 86_400_000L;

    private StreamIdHorizon() {
    }

    /** The millisecond part of a stream id, as an unsigned 64-bit value. */
    public static long millis(String id) {
        int dash = id.indexOf('-');
        return Long.parseUnsignedLong(dash < 0 ? id : id.substring(0, dash));
    }

    /** Whether {@code id} lies more than {@link #TOLERANCE_MS} ahead of {@code redisTimeMs}. */
    public static boolean beyond(String id, long redisTimeMs) {
        return !id.isEmpty() && Long.compareUnsigned(millis(id), redisTimeMs + TOLERANCE_MS) > 0;
    }

    /** Whole days by which {@code id} lies ahead of {@code redisTimeMs} (0 when it does not). */
    public static long daysAhead(String id, long redisTimeMs) {
        long ms = millis(id);
        return Long.compareUnsigned(ms, redisTimeMs) <= 0 ? 0 : Long.divideUnsigned(ms - redisTimeMs, TOLERANCE_MS);
    }
}
