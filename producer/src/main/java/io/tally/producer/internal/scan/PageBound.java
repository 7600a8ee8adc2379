package io.tally.producer.internal.scan;

/**
 * How much a listing page holds, given that it takes each HSCAN call's reply whole ({@link ScanPosition} says
 * why). A page asks each call for no more than the room it has left (COUNT = its limit less what it holds), so it
 * passes its limit only by what one call returns past its COUNT: the rest of the last hash bucket the call visits
 * (Redis returns buckets whole: a few elements). It never holds more than {@link #HARD_CAP_FACTOR} times its limit:
 * a call whose reply would take it past that is left whole for the next page, which makes it first. Only a page's
 * first call is taken whatever it holds, as a page must advance and a reply cannot be split without skipping; one
 * HSCAN call holds more than that only when a single bucket does, or when the hash is small enough for Redis to
 * keep it as a listpack, which HSCAN returns whole (at most {@code hash-max-listpack-entries} fields, 128 by
 * default, of at most {@code hash-max-listpack-value} bytes, 64 by default).
 */
public final class PageBound {
    /** A page holds at most this many times its limit, unless its first call alone holds more. */
    public static final int HARD_CAP_FACTOR = 2;

    private PageBound() {
    }

    /** Whether a page holding {@code held} (of a limit of {@code limit}) takes a call's reply of {@code reply} more. */
    public static boolean takes(long held, long reply, long limit) {
        return held == 0 || held + reply <= hardCap(limit);
    }

    /** What a page of limit {@code limit} holds at most, unless its first call alone holds more. */
    public static long hardCap(long limit) {
        return HARD_CAP_FACTOR * limit;
    }
}
