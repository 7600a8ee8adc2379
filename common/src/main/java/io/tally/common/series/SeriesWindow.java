package io.tally.common.series;

import java.util.Locale;

/**
 * A series window: its name as it appears in the {@code windows} field (e.g. {@code 1m}), its bucket
 * length and how long its buckets are kept. Buckets are aligned on the epoch ({@code start = t - t mod
 * length}), so daily buckets are UTC days.
 *
 * @param name        {@code <n><unit>}, unit {@code s}, {@code m}, {@code h} or {@code d}
 * @param lengthMs    bucket length, ms
 * @param retentionMs how long after its end a bucket is kept, ms
 */
public record SeriesWindow(String name, long lengthMs, long retentionMs) {

    /**
     * Parses a window name such as {@code 1m} into a window with the given retention.
     *
     * @param name        {@code <n><unit>}, unit {@code s}, {@code m}, {@code h} or {@code d}
     * @param retentionMs how long after its end a bucket is kept, ms
     * @return the window
     * @throws IllegalArgumentException when the name is not a window
     */
    public static SeriesWindow of(String name, long retentionMs) {
        return new SeriesWindow(name, parseDuration(name), retentionMs);
    }

    /**
     * Start of the bucket holding a time.
     *
     * @param epochMs the time, epoch ms
     * @return the bucket's start, epoch ms
     */
    public long bucketStart(long epochMs) {
        return Math.floorDiv(epochMs, lengthMs) * lengthMs;
    }

    /**
     * Parses {@code <n><unit>} (n 1-9999 without leading zero; unit s, m, h, d).
     *
     * @param s the text, e.g. {@code 48h}
     * @return the duration, ms
     * @throws IllegalArgumentException naming what is wrong
     */
    public static long parseDuration(String s) {
        if (!s.matches("[1-9][0-9]{0,3}[smhd]")) {
            throw new IllegalArgumentException("'" + s + "' is not a duration like 30s, 1m, 48h or 730d");
        }
        long n = Long.parseLong(s.substring(0, s.length() - 1));
        return n * switch (s.toLowerCase(Locale.ROOT).charAt(s.length() - 1)) {
            case 's' -> 1_000L;
            case 'm' -> 60_000L;
            case 'h' -> 3_600_000L;
            default -> 86_400_000L;
        };
    }
}
