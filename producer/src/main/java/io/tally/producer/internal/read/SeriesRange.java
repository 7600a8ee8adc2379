package io.tally.producer.internal.read;

import io.tally.common.series.SeriesWindow;
import io.tally.common.series.SeriesWindows;
import io.tally.producer.internal.read.CounterSeries;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.stream.Collectors;

/**
 * The window and time range of a series request, shared by {@code GET /v1/counters/{name}/series} and
 * {@code tally series}: the window must be configured in {@code series-windows}; {@code from} and
 * {@code to} are epoch ms or ISO-8601; {@code to} defaults to now and {@code from} to {@code to} minus
 * {@link #DEFAULT_BUCKETS} window lengths (or minus {@code last}). The series holds the buckets that
 * overlap [from, to), at most {@link CounterSeries#MAX_BUCKETS}.
 *
 * @param window the configured window
 * @param fromMs start of the range, epoch ms (inclusive; its bucket is the first)
 * @param toMs   end of the range, epoch ms (exclusive)
 */
public record SeriesRange(SeriesWindow window, long fromMs, long toMs) {
    /** Buckets of the default range. */
    public static final int DEFAULT_BUCKETS = 60;
    /** Latest time accepted: 9999-12-31T23:59:59.999Z. */
    public static final long MAX_TIME_MS = 253_402_300_799_999L;

    /** A request parameter that is wrong; {@link #field()} names it ({@code window}, {@code from}, {@code to}, {@code last}). */
    public static final class InvalidRangeException extends IllegalArgumentException {
        private final String field;

        public InvalidRangeException(String field, String message) {
            super(message);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    /**
     * Resolves a request. Any of {@code from}, {@code to} and {@code last} may be null; {@code last} (a
     * duration such as {@code 24h}) sets {@code from = to - last} and excludes {@code from}.
     *
     * @throws InvalidRangeException naming the parameter at fault
     */
    public static SeriesRange resolve(SeriesWindows windows, String window, String from, String to, String last,
                                      long nowMs) {
        if (window == null || window.isEmpty()) {
            throw new InvalidRangeException("window", "window is required; configured windows: " + names(windows));
        }
        SeriesWindow w = windows.get(window);
        if (w == null) {
            throw new InvalidRangeException("window", "window '" + window + "' is not configured; configured windows: "
                    + names(windows));
        }
        long toMs = to == null ? nowMs : parseTime("to", to);
        long fromMs;
        if (last != null) {
            if (from != null) {
                throw new InvalidRangeException("last", "give either from or last, not both");
            }
            long lastMs;
            try {
                lastMs = SeriesWindow.parseDuration(last);
            } catch (IllegalArgumentException e) {
                throw new InvalidRangeException("last", "last: " + e.getMessage());
            }
            fromMs = Math.max(0, toMs - lastMs);
        } else {
            fromMs = from == null ? Math.max(0, toMs - DEFAULT_BUCKETS * w.lengthMs()) : parseTime("from", from);
        }
        if (fromMs > toMs) {
            throw new InvalidRangeException("from", "from (" + Instant.ofEpochMilli(fromMs) + ") is after to ("
                    + Instant.ofEpochMilli(toMs) + ")");
        }
        long first = w.bucketStart(fromMs);
        long buckets = toMs <= first ? 0 : (toMs - first + w.lengthMs() - 1) / w.lengthMs();
        if (buckets > CounterSeries.MAX_BUCKETS) {
            throw new InvalidRangeException(last != null ? "last" : "from", "the range from " + Instant.ofEpochMilli(fromMs)
                    + " to " + Instant.ofEpochMilli(toMs) + " has " + buckets + " buckets of window " + w.name()
                    + ", more than " + CounterSeries.MAX_BUCKETS + "; ask for a shorter range or a longer window");
        }
        return new SeriesRange(w, fromMs, toMs);
    }

    /**
     * Parses epoch ms ({@code 1763874000000}), an ISO-8601 instant ({@code 2030-01-01T00:00:00Z}, also
     * with an offset such as {@code +02:00}) or a date ({@code 2030-01-01}, midnight UTC).
     *
     * @throws InvalidRangeException naming {@code field}
     */
    public static long parseTime(String field, String raw) {
        long ms;
        if (raw.matches("-?[0-9]{1,19}")) {
            try {
                ms = Long.parseLong(raw);
            } catch (NumberFormatException e) {
                throw badTime(field, raw);
            }
        } else {
            ms = parseIso(field, raw);
        }
        if (ms < 0 || ms > MAX_TIME_MS) {
            throw new InvalidRangeException(field, field + " '" + raw + "' is outside 1970-01-01 to 9999-12-31");
        }
        return ms;
    }

    private static long parseIso(String field, String raw) {
        try {
            return OffsetDateTime.parse(raw).toInstant().toEpochMilli();
        } catch (DateTimeParseException | ArithmeticException e) {
            // try the other forms
        }
        try {
            return Instant.parse(raw).toEpochMilli();
        } catch (DateTimeParseException | ArithmeticException e) {
            // try a date
        }
        try {
            return LocalDate.parse(raw).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        } catch (DateTimeParseException | ArithmeticException e) {
            throw badTime(field, raw);
        }
    }

    private static InvalidRangeException badTime(String field, String raw) {
        return new InvalidRangeException(field, field + " '" + raw + "' is neither epoch ms nor ISO-8601 "
                + "(e.g. 1763874000000, 2030-01-01T00:00:00Z or 2030-01-01)");
    }

    private static String names(SeriesWindows windows) {
        return windows.all().stream().map(SeriesWindow::name).collect(Collectors.joining(", "));
    }
}
