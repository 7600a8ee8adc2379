package io.tally.producer.internal.read;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.wire.WireFormat;
import io.tally.common.series.SeriesWindows;
import io.tally.common.trigger.Firing;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.internal.SingleAttempt;
import io.tally.producer.read.CounterPage;
import io.tally.producer.read.CounterValue;
import io.tally.producer.read.SeriesBucket;
import io.tally.producer.read.TallyReader;
import io.tally.producer.read.Topic;
import io.tally.producer.read.UnreadableStateException;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * {@link TallyReader} on Redisson: counters, checkpoints and firings here, series and unique counts
 * through {@link CounterSeries}. The Redis client is shared and not closed here.
 */
public final class RedisTallyReader implements TallyReader {
    private static final Logger log = LoggerFactory.getLogger(RedisTallyReader.class);
    private static final int SCAN_COUNT = 500;

    private final RedissonClient redis;
    private final Keys keys;
    private final Partitioner partitioner;
    private final CounterSeries series;
    private final CounterScan counterScan;

    /** A reader of a namespace whose P is known; {@code windows} are the series windows it accepts. */
    public RedisTallyReader(RedissonClient redis, Keys keys, int partitions, SeriesWindows windows) {
        this.redis = redis;
        this.keys = keys;
        this.partitioner = new Partitioner(partitions);
        this.series = CounterSeries.create(redis, keys, partitions, windows);
        this.counterScan = new CounterScan(redis, keys, partitions);
    }

    /** A reader on the configured namespace, which must exist ({@link io.tally.common.NamespaceMissingException}). */
    public static RedisTallyReader open(RedissonClient redis, TallyConfig config) {
        Namespace ns = Namespace.open(redis, config);
        return new RedisTallyReader(redis, ns.keys(), ns.partitions(), config.get(TallyConfig.SERIES_WINDOWS));
    }

    /** The namespace's keys. */
    public Keys keys() {
        return keys;
    }

    @Override
    public int partitions() {
        return partitioner.partitions();
    }

    @Override
    public int partitionOf(String routingKey) {
        return partitioner.partitionOf(routingKey);
    }

    @Override
    public CounterValue counter(String name) {
        WireFormat.checkName("counter", name);
        int p = partitioner.partitionOf(name);
        String key = keys.counters(p);
        String raw = StoredState.read(name, key, "a hash",
                () -> redis.<String, String>getMap(key, StringCodec.INSTANCE).get(name));
        return new CounterValue(name, p, raw == null ? 0 : StoredState.number(name, key, raw), raw != null);
    }

    @Override
    public List<CounterValue> counters(String prefix, int limit) {
        FirstByName first = new FirstByName(limit);
        if (limit == 0) {
            return first.sorted();
        }
        String pattern = globEscape(prefix == null ? "" : prefix) + "*";
        for (int p = 0; p < partitions(); p++) {
            int partition = p;
            String key = keys.counters(p);
            StoredState.read(null, key, "a hash", () -> {
                // The iterator reads SCAN_COUNT at a time: only the first `limit` names stay in memory.
                for (Map.Entry<String, String> e : redis.<String, String>getMap(key, StringCodec.INSTANCE)
                        .entrySet(pattern, SCAN_COUNT)) {
                    first.offer(new CounterValue(e.getKey(), partition, StoredState.number(e.getKey(), key, e.getValue()),
                            true));
                }
                return null;
            });
        }
        return first.sorted();
    }

    @Override
    public CounterPage counterPage(String prefix, String cursor, int limit) {
        return counterScan.page(prefix, cursor, limit);
    }

    @Override
    public boolean deleteCounter(String name) {
        WireFormat.checkName("counter", name);
        int partition = partitioner.partitionOf(name);
        String key = keys.counters(partition);
        Supplier<String> unknown = () -> "counter '" + name + "' may or may not have been deleted: Redis did not "
                + "answer within redis-timeout-ms, and may still run the delete; deleting it again is safe (a delete "
                + "is idempotent)";
        boolean total = SingleAttempt.write(() -> StoredState.read(name, key, "a hash",
                () -> SingleAttempt.map(redis, key).fastRemove(name) > 0), unknown);
        // Its unique count makes a counter exist too: left behind, GET would still answer it after a delete.
        try {
            boolean unique = SingleAttempt.write(() -> SingleAttempt.keys(redis).delete(keys.hll(partition, name)) > 0,
                    unknown);
            return total || unique;
        } catch (RuntimeException e) {
            if (total && !(e instanceof OutcomeUnknownException)) {
                // the total is gone: "nothing was written" would be false
                throw new OutcomeUnknownException("counter '" + name + "' was deleted in part: its total is gone, "
                        + "but Redis failed before its unique count was deleted; delete it again (a delete is "
                        + "idempotent)", e);
            }
            throw e;
        }
    }

    @Override
    public String checkpoint(int partition, Topic topic) {
        checkPartition(partition);
        String key = keys.checkpoint(partition);
        String id = StoredState.read(null, key, "a hash",
                () -> redis.<String, String>getMap(key, StringCodec.INSTANCE).get(topic.wireName()));
        return readCheckpoint(key, topic, id);
    }

    @Override
    public CompletionStage<String> checkpointAsync(int partition, Topic topic) {
        checkPartition(partition);
        String key = keys.checkpoint(partition);
        return redis.<String, String>getMap(key, StringCodec.INSTANCE).getAsync(topic.wireName()).handle((id, error) -> {
            if (error != null) {
                throw StoredState.foreign(error).<RuntimeException>map(code ->
                        StoredState.wrongType(null, key, "a hash", code, error)).orElseGet(() -> new CompletionException(error));
            }
            return readCheckpoint(key, topic, id);
        });
    }

    /** A stored checkpoint, {@code 0-0} when there is none; one that is not a stream id is never compared as one. */
    private static String readCheckpoint(String key, Topic topic, String id) {
        if (id == null) {
            return "0-0";
        }
        try {
            StreamIds.parse(id);
        } catch (IllegalArgumentException notAnId) {
            throw new UnreadableStateException(null, key, "its " + topic.wireName() + " checkpoint '"
                    + UnreadableStateException.shown(id) + "' is not a stream entry id", null);
        }
        return id;
    }

    @Override
    public boolean isApplied(int partition, Topic topic, String entryId) {
        StreamIds.parse(entryId);
        return StreamIds.compare(checkpoint(partition, topic), entryId) >= 0;
    }

    @Override
    public boolean awaitApplied(int partition, Topic topic, String entryId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = 2;
        while (!isApplied(partition, topic, entryId)) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            sleep(pause);
            pause = Math.min(pause * 2, 50);
        }
        return true;
    }

    @Override
    public List<Firing> recentFirings(int limit) {
        Map<Integer, Map<String, Map<String, String>>> newest;
        try {
            newest = newestFirings(limit);
        } catch (RuntimeException e) {
            if (!LuaScript.isNoScript(e)) {
                throw e;
            }
            StreamPage.SCRIPT.load(redis);
            newest = newestFirings(limit);
        }
        List<Firing> all = new ArrayList<>();
        UnreadableFirings unreadable = new UnreadableFirings();
        newest.forEach((p, entries) -> entries.forEach((id, fields) -> {
            try {
                all.add(Firing.fromFields(p, id, fields));
            } catch (IllegalArgumentException notAFiring) {
                unreadable.add(p, id, notAFiring);
            }
        }));
        unreadable.warn();
        all.sort((a, b) -> StreamIds.compare(b.entryId(), a.entryId()));
        return all.size() > limit ? List.copyOf(all.subList(0, limit)) : all; // ids may tie across partitions
    }

    /**
     * The {@code limit} newest entries of all partitions' firings streams, by partition, read with work that
     * follows {@code limit} and P rather than P × limit: each partition's newest ceil(limit / P) entries first,
     * then, round after round, more (twice as many each time) only from the partitions whose older entries may
     * still be among the newest {@code limit} (their oldest entry read is newer than the limit-th newest read).
     * Read by {@link StreamPage}, so that an id past 2^63 another program wrote is read like any other.
     */
    private Map<Integer, Map<String, Map<String, String>>> newestFirings(int limit) {
        int partitions = partitions();
        Map<Integer, Map<String, Map<String, String>>> read = new TreeMap<>();
        Map<Integer, String> oldestRead = new HashMap<>();
        Map<Integer, Integer> chunk = new HashMap<>();
        List<Integer> wanted = new ArrayList<>();
        int first = Math.max(1, (limit + partitions - 1) / partitions);
        for (int p = 0; p < partitions; p++) {
            wanted.add(p);
            chunk.put(p, first);
        }
        while (!wanted.isEmpty()) {
            RBatch batch = redis.createBatch();
            Map<Integer, RFuture<List<Object>>> replies = new LinkedHashMap<>();
            for (int p : wanted) {
                replies.put(p, StreamPage.SCRIPT.evalAsync(batch.getScript(StringCodec.INSTANCE), RScript.ReturnType.LIST,
                        List.of(keys.firings(p)), oldestRead.getOrDefault(p, ""), chunk.get(p), StreamPage.REVERSE));
            }
            List<Integer> asked = List.copyOf(replies.keySet());
            // one partition's firings key of another type fails the read, naming the key (502): a page without
            // that partition's firings would look whole and be wrong
            StoredState.execute(batch, List.copyOf(replies.values()), i -> keys.firings(asked.get(i)), i -> null,
                    "a stream");
            List<Integer> more = new ArrayList<>();
            replies.forEach((p, reply) -> {
                Map<String, Map<String, String>> entries = StreamPage.entries(reply.toCompletableFuture().join());
                read.computeIfAbsent(p, k -> new LinkedHashMap<>()).putAll(entries);
                if (entries.size() == chunk.get(p)) { // a full chunk: the stream may hold older entries
                    entries.keySet().forEach(id -> oldestRead.put(p, id)); // newest first: the last is the oldest
                    more.add(p);
                    chunk.put(p, chunk.get(p) * 2);
                }
            });
            String cutoff = limitThNewest(read, limit);
            wanted = cutoff == null ? more
                    : more.stream().filter(p -> StreamIds.compare(oldestRead.get(p), cutoff) > 0).toList();
        }
        String cutoff = limitThNewest(read, limit);
        if (cutoff != null) {
            read.values().forEach(entries -> entries.keySet().removeIf(id -> StreamIds.compare(id, cutoff) < 0));
        }
        return read;
    }

    /** The id of the limit-th newest entry read, or null when fewer were read. */
    private static String limitThNewest(Map<Integer, Map<String, Map<String, String>>> read, int limit) {
        List<String> ids = new ArrayList<>();
        read.values().forEach(entries -> ids.addAll(entries.keySet()));
        if (ids.size() < limit) {
            return null;
        }
        ids.sort((a, b) -> StreamIds.compare(b, a));
        return ids.get(limit - 1);
    }

    /** Entries of the firings streams that are not firings (written by something else): one warning per read. */
    private static final class UnreadableFirings {
        private int count;
        private String first;

        void add(int partition, String id, IllegalArgumentException why) {
            if (count++ == 0) {
                first = "partition " + partition + " entry " + id + ": " + why.getMessage();
            }
        }

        void warn() {
            if (count > 0) {
                log.warn("{} entries of the firings streams are not firings and were left out of the recent firings "
                        + "(first: {})", count, first);
            }
        }
    }

    @Override
    public List<SeriesBucket> series(String counter, String window, long fromMs, long toMs) {
        return series.series(counter, window, fromMs, toMs);
    }

    @Override
    public long unique(String counter) {
        return series.unique(counter);
    }

    @Override
    public OptionalLong uniqueIfPresent(String counter) {
        return series.uniqueIfPresent(counter);
    }

    @Override
    public long uniqueInBuckets(String counter, String window, long fromMs, long toMs) {
        return series.uniqueInBuckets(counter, window, fromMs, toMs);
    }

    @Override
    public long uniqueUnion(Collection<String> counters) {
        return series.uniqueUnion(counters);
    }

    private void checkPartition(int partition) {
        if (partition < 0 || partition >= partitions()) {
            throw new IllegalArgumentException("partition " + partition + " does not exist (namespace '"
                    + keys.namespace() + "' has partitions 0.." + (partitions() - 1) + ")");
        }
    }

    /** Escapes the glob characters of HSCAN MATCH so a prefix matches literally. */
    static String globEscape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static void sleep(long ms) {
        try {
            TimeUnit.MILLISECONDS.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for an entry to be applied", e);
        }
    }
}
