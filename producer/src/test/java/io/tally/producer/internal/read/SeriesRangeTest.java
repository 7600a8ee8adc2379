package io.tally.producer.internal.read;

import io.tally.common.series.SeriesWindows;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SeriesRangeTest {
    private static final SeriesWindows WINDOWS = SeriesWindows.parse(SeriesWindows.DEFAULT);
    private static final long NOW = Instant.parse("2030-06-15T12:34:56.789Z").toEpochMilli();

    @Test
    void timesParseAsEpochMsInstantsOffsetsAndDates() {
        assertThat(SeriesRange.parseTime("from", "1763874000000")).isEqualTo(1_763_874_000_000L);
        assertThat(SeriesRange.parseTime("from", "2030-01-01T00:00:00Z")).isEqualTo(1_893_456_000_000L);
        assertThat(SeriesRange.parseTime("from", "2030-01-01T02:00:00+02:00")).isEqualTo(1_893_456_000_000L);
        assertThat(SeriesRange.parseTime("from", "2030-01-01T00:00:00.250Z")).isEqualTo(1_893_456_000_250L);
        assertThat(SeriesRange.parseTime("from", "2030-01-01")).isEqualTo(1_893_456_000_000L);
        assertThat(SeriesRange.parseTime("to", "0")).isZero();
    }

    @Test
    void badTimesNameTheField() {
        for (String bad : new String[]{"", "tomorrow", "2030-02-30", "-1", "99999999999999999999", "1e9",
                "+999999999-01-01T00:00:00Z", "10000-01-01T00:00:00Z"}) {
            assertThatThrownBy(() -> SeriesRange.parseTime("to", bad)).as(bad)
                    .isInstanceOfSatisfying(SeriesRange.InvalidRangeException.class, e -> assertThat(e.field()).isEqualTo("to"));
        }
    }

    @Test
    void defaultsAreNowAndSixtyWindowsBack() {
        SeriesRange r = SeriesRange.resolve(WINDOWS, "1h", null, null, null, NOW);
        assertThat(r.window().name()).isEqualTo("1h");
        assertThat(r.toMs()).isEqualTo(NOW);
        assertThat(r.fromMs()).isEqualTo(NOW - 60 * 3_600_000L);
        SeriesRange last = SeriesRange.resolve(WINDOWS, "1m", null, "2030-01-02", "1d", NOW);
        assertThat(last.fromMs()).isEqualTo(Instant.parse("2030-01-01T00:00:00Z").toEpochMilli());
        assertThat(SeriesRange.resolve(WINDOWS, "1d", null, "1000", null, NOW).fromMs()).as("clamped at 0").isZero();
    }

    @Test
    void theBucketLimitCountsBucketsThatOverlapTheRange() {
        long min = 60_000L;
        assertThat(SeriesRange.resolve(WINDOWS, "1m", "0", Long.toString(10_000 * min), null, NOW).toMs())
                .isEqualTo(10_000 * min);
        // from in the middle of a bucket: that bucket counts too.
        assertField(() -> SeriesRange.resolve(WINDOWS, "1m", "1", Long.toString(10_000 * min + 1), null, NOW), "from");
        assertField(() -> SeriesRange.resolve(WINDOWS, "1m", null, null, "7d", NOW), "last");
    }

    @Test
    void errorsNameTheParameter() {
        assertField(() -> SeriesRange.resolve(WINDOWS, null, null, null, null, NOW), "window");
        assertField(() -> SeriesRange.resolve(WINDOWS, "2m", null, null, null, NOW), "window");
        assertField(() -> SeriesRange.resolve(WINDOWS, "1m", "5", "4", null, NOW), "from");
        assertField(() -> SeriesRange.resolve(WINDOWS, "1m", "x", null, null, NOW), "from");
        assertField(() -> SeriesRange.resolve(WINDOWS, "1m", null, "x", null, NOW), "to");
        assertField(() -> SeriesRange.resolve(WINDOWS, "1m", "0", null, "1h", NOW), "last");
        assertField(() -> SeriesRange.resolve(WINDOWS, "1m", null, null, "1w", NOW), "last");
    }

    private static void assertField(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String field) {
        assertThatThrownBy(call).isInstanceOfSatisfying(SeriesRange.InvalidRangeException.class,
                e -> assertThat(e.field()).as(e.getMessage()).isEqualTo(field));
    }
}
