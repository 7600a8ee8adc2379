package io.tally.producer.internal.read;

import org.redisson.api.stream.StreamMessageId;

/** Parses and compares Redis stream ids ({@code <ms>-<seq>}), which order numerically, not as text. */
public final class StreamIds {
    private StreamIds() {
    }

    /**
     * Parses {@code ms-seq} (or a bare {@code ms}, meaning {@code ms-0}).
     *
     * @throws IllegalArgumentException when the text is not a stream id
     */
    public static StreamMessageId parse(String id) {
        if (id == null || !id.matches("\\d{1,20}(-\\d{1,20})?")) {
            throw new IllegalArgumentException("'" + id + "' is not a stream entry id (expected <ms>-<seq>)");
        }
        int dash = id.indexOf('-');
        try {
            return dash < 0 ? new StreamMessageId(Long.parseUnsignedLong(id), 0)
                    : new StreamMessageId(Long.parseUnsignedLong(id.substring(0, dash)),
                    Long.parseUnsignedLong(id.substring(dash + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + id + "' is not a stream entry id (out of range)");
        }
    }

    /** Compares two ids in stream order. */
    public static int compare(String a, String b) {
        StreamMessageId x = parse(a);
        StreamMessageId y = parse(b);
        int c = Long.compareUnsigned(x.getId0(), y.getId0());
        return c != 0 ? c : Long.compareUnsigned(x.getId1(), y.getId1());
    }

    /** Milliseconds part of an id: the Redis time at which it was written. */
    public static long millis(String id) {
        return parse(id).getId0();
    }
}
