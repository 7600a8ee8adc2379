package io.tally.producer.internal.scan;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

/**
 * Where a listing over every partition's hash stands, one page at a time: an HSCAN call (partition, position,
 * COUNT) and the last name a page took from it. A page that stops inside a call's reply repeats that call
 * (same position, same COUNT) and goes on after that name, the reply's elements taken in name order: no page
 * holds more than its limit. The repeated call covers the same buckets only while the hash is as it was: one
 * that lost elements since reaches buckets further on, and one that shrank (Redis resizes a hash that deletions
 * left under a tenth full) merges buckets into it; their elements named before the last one taken would be
 * skipped for good. So the position also holds a digest of the reply's names up to that last one: a repeated
 * call whose names up to it differ takes its whole reply again (an element may then come twice, as HSCAN
 * allows). It does so once per call, so that a hash that keeps changing cannot keep a listing from advancing;
 * a second change within the pages of one call may still skip an element. As an opaque cursor it is base64url
 * text that names no key.
 *
 * @param partition the partition whose hash is being scanned
 * @param scan      the HSCAN position of the call
 * @param count     the HSCAN COUNT of the call
 * @param after     the last name taken from the call's reply, or null when none was
 * @param digest    {@link #digest} of the call's names up to {@code after}, after '=' while the call was taken
 *                  once and '+' once it was taken again; null with {@code after} (or from a cursor that had
 *                  none: the repeated call is then taken whole)
 */
public record ScanPosition(int partition, String scan, int count, String after, String digest) {
    /** The first call of a listing. */
    public static ScanPosition first(int count) {
        return new ScanPosition(0, "0", count, null, null);
    }

    /** After a call whose every element was taken: the rest of its partition, the next partition, or null at the end. */
    public ScanPosition next(String nextScan, int partitions, int nextCount) {
        if (!"0".equals(nextScan)) {
            return new ScanPosition(partition, nextScan, nextCount, null, null);
        }
        return partition + 1 < partitions ? new ScanPosition(partition + 1, "0", nextCount, null, null) : null;
    }

    /** The same call again, for the elements after {@code name}, whose reply's names up to it gave {@code digest}. */
    public ScanPosition within(String name, String digest) {
        return new ScanPosition(partition, scan, count, name, digest);
    }

    /**
     * Adds to {@code out}, up to {@code limit} elements in all, the elements of this call's {@code reply}
     * after {@link #after()}, in name order; the whole reply when its names up to {@link #after()} are not the
     * ones the page before saw (see the class comment).
     *
     * @param nextScan  the HSCAN position the call returned
     * @param nextCount the COUNT of the listing's next call
     * @return where the listing goes on, or null at its end
     */
    public <T> ScanPosition take(NavigableMap<String, T> reply, String nextScan, int partitions, int nextCount,
                                 List<T> out, int limit) {
        boolean retaken = digest != null && digest.startsWith("+");
        boolean retake = after != null && !retaken
                && !("=" + digest(reply.headMap(after, true).keySet())).equals(digest);
        Map<String, T> unseen = after == null || retake ? reply : reply.tailMap(after, false);
        String mark = retaken || retake ? "+" : "=";
        String last = null;
        for (Map.Entry<String, T> e : unseen.entrySet()) {
            if (out.size() >= limit) {
                String upTo = last == null ? after : last;
                return within(upTo, mark + digest(reply.headMap(upTo, true).keySet()));
            }
            out.add(e.getValue());
            last = e.getKey();
        }
        return next(nextScan, partitions, nextCount);
    }

    /** 12 hex digits of the SHA-1 of the names, in order, each as its length in UTF-8 bytes, ':' and its bytes. */
    public static String digest(Iterable<String> names) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            for (String name : names) {
                byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
                sha1.update((bytes.length + ":").getBytes(StandardCharsets.US_ASCII));
                sha1.update(bytes);
            }
            return HexFormat.of().formatHex(sha1.digest(), 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-1", e);
        }
    }

    /** The cursor a page returns. */
    public String encode() {
        String text = partition + ":" + scan + ":" + count + (after == null ? "" : ";" + digest + ":" + after);
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
            String[] countAndDigest = parts[2].split(";", 2);
            int count = Integer.parseInt(countAndDigest[0]);
            String digest = countAndDigest.length == 2 ? countAndDigest[1] : null;
            String after = parts.length == 4 ? parts[3] : null;
            if (partition < 0 || partition >= partitions || count < 1 || (after != null && count > maxCount)) {
                throw new IllegalArgumentException("out of range");
            }
            return new ScanPosition(partition, scan, after == null ? firstCount : count, after, after == null ? null : digest);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cursor is not one a " + listing + " of this namespace returned; "
                    + "start again without a cursor", e);
        }
    }
}
