package io.tally.producer.internal.read;

import io.tally.common.internal.keys.Keys;
import io.tally.producer.internal.scan.PageBound;
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

/**
 * Lists counters a page at a time, partition after partition, with HSCAN: one page makes at most
 * {@link #MAX_SCANS_PER_PAGE} HSCAN calls, each of COUNT the room the page has left, and takes each call's reply
 * whole ({@link PageBound}: about {@code limit} counters, at most twice that unless the page's first call alone
 * holds more), however many counters the namespace holds; its cursor is a {@link ScanPosition}. So a listing is a
 * plain HSCAN iteration of each partition's hash and keeps HSCAN's guarantees: a counter present for the whole
 * listing is returned at least once (twice when Redis resizes the hash meanwhile); one created or deleted
 * meanwhile may or may not be. A counter whose stored value Tally cannot read (another program wrote it) takes its
 * place in the page as an {@link UnreadableCounter}, so that it fails neither the page nor the listing; a counters
 * key of another type still fails the page, as it holds no counter to list.
 */
final class CounterScan {
    /** HSCAN calls one page may make: a prefix that few counters match ends a page early, with a cursor. */
    static final int MAX_SCANS_PER_PAGE = 16;

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
     * @param limit  about how many counters the page holds, at least 1 ({@link PageBound})
     * @throws IllegalArgumentException when the cursor is not one this namespace gave out
     */
    CounterPage page(String prefix, String cursor, int limit) {
        if (limit < 1 || limit > TallyReader.MAX_PAGE_LIMIT) {
            throw new IllegalArgumentException("limit must be from 1 to " + TallyReader.MAX_PAGE_LIMIT + ", got " + limit);
        }
        String pattern = RedisTallyReader.globEscape(prefix == null ? "" : prefix) + "*";
        ScanPosition at = ScanPosition.decode(cursor, partitions, "counter listing");
        List<Listed> out = new ArrayList<>();
        for (int calls = 0; at != null && out.size() < limit && calls < MAX_SCANS_PER_PAGE; calls++) {
            String key = keys.counters(at.partition());
            String scan = at.scan();
            int count = limit - out.size();
            MapScanResult<Object, Object> r = StoredState.read(null, key, "a hash", () -> executor
                    .<MapScanResult<Object, Object>, MapScanResult<Object, Object>>readAsync(key, StringCodec.INSTANCE,
                            RedisCommands.HSCAN, key, scan, "MATCH", pattern, "COUNT", count)
                    .toCompletableFuture().join());
            if (!PageBound.takes(out.size(), r.getMap().size(), limit)) {
                break; // left whole for the next page, whose first call it is
            }
            int partition = at.partition();
            r.getMap().forEach((name, value) -> out.add(listed((String) name, partition, key, (String) value)));
            at = at.next(r.getPos(), partitions);
        }
        return new CounterPage(out.stream().map(Listed::readable).filter(Objects::nonNull).toList(),
                at == null ? null : at.encode(limit), out.stream().map(Listed::unreadable).filter(Objects::nonNull).toList());
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
}
