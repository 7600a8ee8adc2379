package io.tally.producer.internal;

import org.redisson.client.RedisTryAgainException;

/**
 * append_runs.lua refused a call whose dedupe buckets are not Redis's current ones: its error reply
 * {@code DEDUPEBUCKET <Redis time ms> ...}. The call wrote nothing and goes again with Redis's buckets,
 * so it is retriable as Redis's own TRYAGAIN is; {@link DedupeClock} learns Redis time from it.
 */
final class DedupeBucketRefusal extends RedisTryAgainException {
    /** The error code append_runs.lua puts first in the reply. */
    static final String CODE = "DEDUPEBUCKET";

    /** Redis time the reply names, or -1 when it names none. */
    private final long redisMs;

    /** @param reply the error reply's text, starting with {@value #CODE} */
    DedupeBucketRefusal(String reply) {
        super(reply);
        this.redisMs = redisMsOf(reply);
    }

    /** Redis time (epoch ms) when the script refused the call, or -1 when the reply names none. */
    long redisMs() {
        return redisMs;
    }

    private static long redisMsOf(String reply) {
        int from = CODE.length() + 1;
        if (reply.length() <= from) {
            return -1;
        }
        int end = reply.indexOf(' ', from);
        try {
            return Long.parseLong(reply.substring(from, end < 0 ? reply.length() : end));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
