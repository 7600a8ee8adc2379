package io.tally.producer.read;

import java.util.List;

/**
 * One page of a counter listing ({@link TallyReader#counterPage}).
 *
 * @param counters the counters of this page, at most the limit asked for, possibly none though more follow
 * @param cursor   where the next page starts (pass it to the next call), or null when the listing is complete
 */
public record CounterPage(List<CounterValue> counters, String cursor) {
}
