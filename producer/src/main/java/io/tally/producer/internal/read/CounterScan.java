package io.tally.producer.internal.read;

import io.tally.common.internal.keys.Keys;
import io.tally.producer.internal.scan.ScanPosition;
import io.tally.producer.read.CounterPage;
import io.tally.producer.read.CounterValue;
import io.tally.producer.read.TallyReader;
import io.tally.producer.read.UnreadableCounter;
import io.tally.producer.read.UnreadableStateException;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.client.protocol.RedisCommands;
import org.redisson.client.protocol.decoder.MapScanResult;
import org.redisson.command.CommandAsyncExecutor;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Lists counters a page at a time, partition after partition, with HSCAN: one page costs at most
 * {@link #MAX_SCANS_PER_PAGE} HSCAN calls of {@code COUNT max(limit, 100)}, however many counters the
 * namespace holds; its cursor is a {@link ScanPosition}. HSCAN's guarantees carry over: a counter present
 * for the whole listing is returned at least once (twice when Redis resizes the hash meanwhile); one
 * created or deleted meanwhile may or may not be. A counter whose stored value Tally cannot read (another program
 * wrote it) takes its place in the page as an {@link UnreadableCounter}, so that it fails neither the page nor the
 * listing; a counters key of another type still fails the page, as it holds no counter to list.
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
        if (limit < 1 || limit > TallyReader.MAX_PAGE_LIMIT) {
            throw new IllegalArgumentException("limit must be from 1 to " + TallyReader.MAX_PAGE_LIMIT + ", got " + limit);
        }
        String pattern = RedisTallyReader.globEscape(prefix == null ? "" : prefix) + "*";
        ScanPosition at = ScanPosition.decode(cursor, partitions, countFor(limit), countFor(TallyReader.MAX_PAGE_LIMIT),
                "counter listing");
        List<Listed> out = new ArrayList<>();
        for (int calls = 0; at != null && out.size() < limit && calls < MAX_SCANS_PER_PAGE; calls++) {
            String key = keys.counters(at.partition());
            ScanPosition call = at;
            MapScanResult<Object, Object> r = StoredState.read(null, key, "a hash", () -> executor
                    .<MapScanResult<Object, Object>, MapScanResult<Object, Object>>readAsync(key, StringCodec.INSTANCE,
                            RedisCommands.HSCAN, key, call.scan(), "MATCH", pattern, "COUNT", call.count())
                    .toCompletableFuture().join());
            int partition = at.partition();
            TreeMap<String, Listed> found = new TreeMap<>();
            r.getMap().forEach((name, value) -> found.put((String) name, listed((String) name, partition, key,
                    (String) value)));
            at = at.take(found, r.getPos(), partitions, countFor(limit), out, limit);
        }
        return new CounterPage(out.stream().map(Listed::readable).filter(Objects::nonNull).toList(),
                at == null ? null : at.encode(), out.stream().map(Listed::unreadable).filter(Objects::nonNull).toList());
    }

    private static Listed listed(String name, int partition, String key, String raw) {
        try {
            return new Listed(new CounterValue(name, partition, StoredState.number(name, key, raw), true), null);
        } catch (UnreadableStateException e) {
            return new Listed(null, UnreadableCounter.of(partition, e));
        }
    }

    /** One counter of an HSCAN reply: readable, or not; either takes one place of the page's limit. */
    private record Listed(CounterValue readable, UnreadableCounter unreadable) {
    }

    private static int countFor(int limit) {
        return Math.max(limit, MIN_SCAN_COUNT);
    }
}
