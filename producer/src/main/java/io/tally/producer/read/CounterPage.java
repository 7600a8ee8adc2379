package io.tally.producer.read;

import java.util.List;

/**
 * One page of a counter listing ({@link TallyReader#counterPage}).
 *
 * @param counters   the readable counters of this page, at most the limit asked for (together with
 *                   {@code unreadable}), possibly none though more follow
 * @param cursor     where the next page starts (pass it to the next call), or null when the listing is complete
 * @param unreadable the counters of this page whose stored value another program wrote in a form Tally cannot read,
 *                   each with its key and what is wrong; empty when there are none. They are not in {@code counters}
 */
public record CounterPage(List<CounterValue> counters, String cursor, List<UnreadableCounter> unreadable) {
    /**
     * A page whose every counter was readable.
     *
     * @param counters the counters of this page
     * @param cursor   where the next page starts, or null at the end
     */
    public CounterPage(List<CounterValue> counters, String cursor) {
        this(counters, cursor, List.of());
    }
}
