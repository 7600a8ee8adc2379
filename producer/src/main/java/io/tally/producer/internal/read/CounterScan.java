package io.tally.producer.internal.read;

import io.tally.common.internal.keys.Keys;
import io.tally.producer.read.CounterPage;
import io.tally.producer.read.CounterValue;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.client.protocol.RedisCommands;
import org.redisson.client.protocol.decoder.MapScanResult;
import org.redisson.command.CommandAsyncExecutor;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Lists counters a page at a time, partition after partition, with HSCAN: one page costs at most
 * {@link #MAX_SCANS_PER_PAGE} HSCAN calls of {@code COUNT max(limit, 100)}, however many counters the
 * namespace holds. The cursor a page returns names the partition, the HSCAN position and COUNT of the call
 * it stopped in, and the last name it returned from that call: the next page repeats that call and goes on
 * after that name (the call's elements in name order), so a page never holds more than its limit and no
 * element of a call is skipped. HSCAN's guarantees carry over: a counter present for the whole listing is
 * returned at least once (twice when Redis resizes the hash meanwhile); one created or deleted meanwhile
 * may or may not be.
 */
final class CounterScan {
    /** HSCAN calls one page may make: a prefix that few counters match ends a page early, with a cursor. */
    static final int MAX_SCANS_PER_PAGE = 16;
    /** The smallest COUNT of a call, so that small pages still move through a partition at a fair pace. */
    private static final int MIN_SCAN_COUNT = 100;

    private final CommandAsyncExecutor executor;
    private final Keys keys;
    private final int partitions;

    CounterScan(RedissonClient redis, Keys keys, int partitions) {
        if (!(redis instanceof Redisson redisson)) {
            throw new IllegalArgumentException("listing counters needs a RedissonClient made by Redisson.create(...), got "
                    + redis.getClass().getName());
        }
        this.executor = redisson.getCommandExecutor();
        this.keys = keys;
        this.partitions = partitions;
    }

    /**
     * @param prefix name prefix; null or empty for all counters
     * @param cursor null or empty for the first page, else the cursor of the page before
     * @param limit  most counters of the page, at least 1
     * @throws IllegalArgumentException when the cursor is not one this namespace gave out
     */
    CounterPage page(String prefix, String cursor, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        }
        String pattern = RedisTallyReader.globEscape(prefix == null ? "" : prefix) + "*";
        Position at = cursor == null || cursor.isEmpty() ? Position.first(limit) : Position.decode(cursor, partitions);
        List<CounterValue> out = new ArrayList<>();
        for (int calls = 0; at != null && out.size() < limit && calls < MAX_SCANS_PER_PAGE; calls++) {
            String key = keys.counters(at.partition);
            MapScanResult<Object, Object> r = executor.<MapScanResult<Object, Object>, MapScanResult<Object, Object>>readAsync(
                    key, StringCodec.INSTANCE, RedisCommands.HSCAN, key, at.scan, "MATCH", pattern, "COUNT", at.count)
                    .toCompletableFuture().join();
            TreeMap<String, String> found = new TreeMap<>();
            r.getMap().forEach((name, value) -> found.put((String) name, (String) value));
            Map<String, String> unseen = at.after == null ? found : found.tailMap(at.after, false);
            String last = null;
            for (Map.Entry<String, String> e : unseen.entrySet()) {
                if (out.size() == limit) {
                    break;
                }
                out.add(new CounterValue(e.getKey(), at.partition, Long.parseLong(e.getValue()), true));
                last = e.getKey();
            }
            boolean callDone = last == null || last.equals(found.lastKey());
            at = callDone ? at.next(r.getPos(), partitions, limit) : at.within(last);
        }
        return new CounterPage(List.copyOf(out), at == null ? null : at.encode());
    }

    /** Where a listing stands: an HSCAN call (partition, position, COUNT) and the last name taken from it. */
    private record Position(int partition, String scan, int count, String after) {
        static Position first(int limit) {
            return new Position(0, "0", countFor(limit), null);
        }

        /** After a call whose every element was taken: the rest of its partition, or the next partition. */
        Position next(String nextScan, int partitions, int limit) {
            if (!"0".equals(nextScan)) {
                return new Position(partition, nextScan, countFor(limit), null);
            }
            return partition + 1 < partitions ? new Position(partition + 1, "0", countFor(limit), null) : null;
        }

        /** The same call again, for the elements after {@code name}. */
        Position within(String name) {
            return new Position(partition, scan, count, name);
        }

        private static int countFor(int limit) {
            return Math.max(limit, MIN_SCAN_COUNT);
        }

        String encode() {
            String text = partition + ":" + scan + ":" + count + (after == null ? "" : ":" + after);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
        }

        static Position decode(String cursor, int partitions) {
            try {
                String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
                String[] parts = text.split(":", 4);
                int partition = Integer.parseInt(parts[0]);
                String scan = parts[1];
                int count = Integer.parseInt(parts[2]);
                Long.parseUnsignedLong(scan);
                if (partition < 0 || partition >= partitions || count < 1 || count > 100_000) {
                    throw new IllegalArgumentException("out of range");
                }
                return new Position(partition, scan, count, parts.length == 4 ? parts[3] : null);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("cursor is not one a counter listing of this "
                        + "namespace returned; start again without a cursor", e);
            }
        }
    }
}
