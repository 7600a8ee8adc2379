package io.tally.producer.internal.scan;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

/**
 * Where a listing over every partition's hash stands, one page at a time: an HSCAN call (partition, position,
 * COUNT) and the last name a page took from it. A page that stops inside a call's reply repeats that call
 * (same position, same COUNT, so the same buckets) and goes on after that name, the reply's elements taken in
 * name order: no page holds more than its limit and no element of a call is skipped. As an opaque cursor it is
 * base64url text that names no key.
 *
 * @param partition the partition whose hash is being scanned
 * @param scan      the HSCAN position of the call
 * @param count     the HSCAN COUNT of the call
 * @param after     the last name taken from the call's reply, or null when none was
 */
public record ScanPosition(int partition, String scan, int count, String after) {
    /** The first call of a listing. */
    public static ScanPosition first(int count) {
        return new ScanPosition(0, "0", count, null);
    }

    /** After a call whose every element was taken: the rest of its partition, the next partition, or null at the end. */
    public ScanPosition next(String nextScan, int partitions, int nextCount) {
        if (!"0".equals(nextScan)) {
            return new ScanPosition(partition, nextScan, nextCount, null);
        }
        return partition + 1 < partitions ? new ScanPosition(partition + 1, "0", nextCount, null) : null;
    }

    /** The same call again, for the elements after {@code name}. */
    public ScanPosition within(String name) {
        return new ScanPosition(partition, scan, count, name);
    }

    /**
     * Adds to {@code out}, up to {@code limit} elements in all, the elements of this call's {@code reply}
     * after {@link #after()}, in name order.
     *
     * @param nextScan  the HSCAN position the call returned
     * @param nextCount the COUNT of the listing's next call
     * @return where the listing goes on, or null at its end
     */
    public <T> ScanPosition take(NavigableMap<String, T> reply, String nextScan, int partitions, int nextCount,
                                 List<T> out, int limit) {
        Map<String, T> unseen = after == null ? reply : reply.tailMap(after, false);
        String last = null;
        for (Map.Entry<String, T> e : unseen.entrySet()) {
            if (out.size() >= limit) {
                return within(last == null ? after : last);
            }
            out.add(e.getValue());
            last = e.getKey();
        }
        return next(nextScan, partitions, nextCount);
    }

    /** The cursor a page returns. */
    public String encode() {
        String text = partition + ":" + scan + ":" + count + (after == null ? "" : ":" + after);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The position of a cursor; null or empty is the first call with {@code firstCount}. A cursor is the
     * client's to forge: its COUNT is kept only to repeat a call a page stopped inside (the same buckets),
     * and then only up to {@code maxCount}, the COUNT of the listing's largest page; a fresh call gets
     * {@code firstCount}. So no cursor makes a page cost more than the largest page may.
     *
     * @throws IllegalArgumentException when the cursor is not one a listing of {@code partitions} partitions gave
     */
    public static ScanPosition decode(String cursor, int partitions, int firstCount, int maxCount, String listing) {
        if (cursor == null || cursor.isEmpty()) {
            return first(firstCount);
        }
        try {
            String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            String[] parts = text.split(":", 4);
            int partition = Integer.parseInt(parts[0]);
            String scan = parts[1];
            Long.parseUnsignedLong(scan);
            int count = Integer.parseInt(parts[2]);
            String after = parts.length == 4 ? parts[3] : null;
            if (partition < 0 || partition >= partitions || count < 1 || (after != null && count > maxCount)) {
                throw new IllegalArgumentException("out of range");
            }
            return new ScanPosition(partition, scan, after == null ? firstCount : count, after);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cursor is not one a " + listing + " of this namespace returned; "
                    + "start again without a cursor", e);
        }
    }
}
