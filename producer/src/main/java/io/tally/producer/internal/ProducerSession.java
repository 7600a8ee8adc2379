package io.tally.producer.internal;

import java.nio.charset.StandardCharsets;

/**
 * One producer session as Redis issued it ({@code producer_session.lua}): {@code <n>:<start ms>}, the
 * name under which the append script keeps the session's last sequence number per stream.
 *
 * @param id           the session's name, ASCII
 * @param generation   the producer's own count of the sessions it began: a stream that had to leave a session
 *                     takes only a later one
 * @param startedNanos when the producer got it ({@link System#nanoTime()})
 */
record ProducerSession(byte[] id, long generation, long startedNanos) {

    static ProducerSession of(String id, long generation) {
        return new ProducerSession(id.getBytes(StandardCharsets.US_ASCII), generation, System.nanoTime());
    }

    long ageMs() {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    @Override
    public String toString() {
        return new String(id, StandardCharsets.US_ASCII);
    }
}
