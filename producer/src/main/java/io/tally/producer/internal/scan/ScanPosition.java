package io.tally.producer.internal.scan;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Where a listing over every partition's hash stands between pages: the partition and the HSCAN cursor of its
 * next call. A page takes each HSCAN call's reply whole or leaves the call to the next page ({@link PageBound}),
 * so a listing is one plain HSCAN iteration per partition and keeps HSCAN's guarantee however often the hash
 * changes: an element present from the listing's start to its end is returned at least once. (A page that ended
 * inside a call, and went on by repeating it, lost that guarantee when the hash changed between its pages: the
 * repeated call covers other buckets.) As an opaque cursor it is base64url text that names no key.
 *
 * @param partition the partition whose hash is being scanned
 * @param scan      the HSCAN cursor of the partition's next call
 */
public record ScanPosition(int partition, String scan) {
    private static final Pattern ASCII_NUMBER = Pattern.compile("[0-9]{1,20}");

    /** The first call of a listing. */
    public static ScanPosition first() {
        return new ScanPosition(0, "0");
    }

    /** After a call taken whole: the rest of its partition, the next partition, or null at the end. */
    public ScanPosition next(String nextScan, int partitions) {
        if (!"0".equals(nextScan)) {
            return new ScanPosition(partition, nextScan);
        }
        return partition + 1 < partitions ? new ScanPosition(partition + 1, "0") : null;
    }

    /**
     * The cursor a page returns: {@code partition:scan:count}. This version reads no COUNT from a cursor; it
     * writes the page's limit there so that a server of an earlier version, which requires the field, accepts
     * the cursor too (it too ignores it for a cursor that does not stop inside a call).
     */
    public String encode(int limit) {
        String text = partition + ":" + scan + ":" + limit;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The position of a cursor; null or empty is the first call. Cursors of earlier versions may also name a place
     * inside a call ({@code partition:scan:count:after}, or {@code ;digest} after the count): this version makes
     * that call again and takes it whole, so that nothing is skipped (what the page before took from it may come
     * twice, as HSCAN allows). Nothing a cursor holds sets how much a page reads.
     *
     * @throws IllegalArgumentException when the cursor is not one a listing of {@code partitions} partitions gave
     */
    public static ScanPosition decode(String cursor, int partitions, String listing) {
        if (cursor == null || cursor.isEmpty()) {
            return first();
        }
        try {
            String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            String[] parts = text.split(":", 4);
            int partition = Integer.parseInt(digits(parts[0]));
            String scan = digits(parts[1]);
            Long.parseUnsignedLong(scan);
            if (parts.length > 2 && Integer.parseInt(digits(parts[2].split(";", 2)[0])) < 1) {
                throw new IllegalArgumentException("count out of range");
            }
            if (partition < 0 || partition >= partitions) {
                throw new IllegalArgumentException("partition out of range");
            }
            return new ScanPosition(partition, scan);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cursor is not one a " + listing + " of this namespace returned; "
                    + "start again without a cursor", e);
        }
    }

    /**
     * A numeric part of a cursor as ASCII digits: Java's number parsers also take other scripts' digits (U+0665,
     * U+FF15) and a sign, which Redis refuses as an HSCAN cursor, so such a cursor would fail the page in Redis.
     */
    private static String digits(String part) {
        if (!ASCII_NUMBER.matcher(part).matches()) {
            throw new IllegalArgumentException("not 1 to 20 ASCII digits");
        }
        return part;
    }
}
