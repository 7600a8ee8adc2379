package io.tally.producer.internal.read;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.series.SeriesWindow;
import io.tally.common.series.SeriesWindows;
import io.tally.producer.read.SeriesBucket;
import io.tally.producer.read.UnreadableStateException;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.ByteArrayCodec;
import org.redisson.client.codec.StringCodec;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.IntFunction;

/**
 * Reads what the processors write for {@code windows} and {@code unique} operations: series buckets
 * (sums of the deltas per window bucket) and unique-member estimates (HyperLogLog, standard error about
 * 0.81%). Reads see applied entries only; calls are synchronous and thread-safe.
 *
 * <p>Unions: a few HyperLogLogs of one partition ({@link #MAX_PFCOUNT_KEYS}) are counted together with one
 * PFCOUNT. More, or HyperLogLogs of several partitions (several slots in Redis Cluster), are read with GET, one
 * per key, and merged and counted here ({@link HyperLogLogUnion}, the same number as PFCOUNT of all of them):
 * Redis does no more than one short GET per key and nothing is written. A PFCOUNT of many keys would merge
 * 16,384 registers per key inside Redis, blocking it (1000 dense ones: tens of ms), and a caller picks names
 * of one partition as easily as of several.
 */
public final class CounterSeries implements AutoCloseable {
    /** Most buckets one {@link #series} call returns. */
    public static final int MAX_BUCKETS = SeriesBucket.MAX_BUCKETS;
    /**
     * Most counters a union across partitions counts: a bound on the work of one call, each HyperLogLog being
     * read whole (up to 12 KB) and merged here.
     */
    public static final int MAX_UNION_ACROSS_PARTITIONS = 5_000;
    /**
     * Most HyperLogLogs one PFCOUNT counts together: it merges 16,384 registers per dense key inside Redis, so a
     * larger union of one partition is merged here, as one across partitions is.
     */
    static final int MAX_PFCOUNT_KEYS = 8;
    /**
     * The largest HyperLogLog a union across partitions reads: a dense one is 12,304 bytes, a sparse one at most
     * {@code hll-sparse-max-bytes} (default 3,000; Redis advises at most 16,000).
     */
    static final int MAX_HLL_BYTES = 65_536;
    /** Bytes of HyperLogLogs one round trip of a union across partitions reads, so that memory stays bounded. */
    private static final long READ_BYTES_PER_ROUND_TRIP = 1 << 20;
    /** What a unique count's key must hold. */
    private static final String HLL = "a HyperLogLog";

    private final RedissonClient redis;
    private final boolean ownsClient;
    private final Keys keys;
    private final Partitioner partitioner;
    private final SeriesWindows windows;

    private CounterSeries(RedissonClient redis, boolean ownsClient, Keys keys, Partitioner partitioner,
                          SeriesWindows windows) {
        this.redis = redis;
        this.ownsClient = ownsClient;
        this.keys = keys;
        this.partitioner = partitioner;
        this.windows = windows;
    }

    private static CounterSeries open(RedissonClient redis, boolean ownsClient, TallyConfig config) {
        Namespace ns = Namespace.open(redis, config);
        return new CounterSeries(redis, ownsClient, ns.keys(), ns.partitioner(), config.get(TallyConfig.SERIES_WINDOWS));
    }

    /** A reader with its own Redis client, closed with it. */
    public static CounterSeries create(TallyConfig config) {
        RedissonClient redis = RedisClientFactory.create(config);
        try {
            return open(redis, true, config);
        } catch (RuntimeException e) {
            redis.shutdown();
            throw e;
        }
    }

    /** A reader on a shared Redis client, which {@link #close()} leaves open. */
    public static CounterSeries create(RedissonClient redis, TallyConfig config) {
        return open(redis, false, config);
    }

    /**
     * A reader of a namespace whose P is already known, on a shared Redis client; unlike the other
     * factories it writes nothing (no namespace creation), for read-only tools.
     */
    public static CounterSeries create(RedissonClient redis, Keys keys, int partitions, SeriesWindows windows) {
        return new CounterSeries(redis, false, keys, new Partitioner(partitions), windows);
    }

    /** The windows this reader accepts ({@code series-windows}). */
    public SeriesWindows windows() {
        return windows;
    }

    /**
     * The buckets of {@code window} whose start lies in [bucket of {@code fromMs}, {@code toMs}), oldest
     * first, with 0 for buckets that have no entry (or were removed by retention).
     *
     * @throws IllegalArgumentException for a window that is not configured, or more than {@link #MAX_BUCKETS}
     */
    public List<SeriesBucket> series(String counter, String window, long fromMs, long toMs) {
        SeriesWindow w = window(window);
        int p = partitioner.partitionOf(counter);
        List<Long> starts = new ArrayList<>();
        for (long s = w.bucketStart(fromMs); s < toMs; s += w.lengthMs()) {
            if (starts.size() == MAX_BUCKETS) {
                throw new IllegalArgumentException("series of window " + window + " from " + fromMs + " to " + toMs
                        + " has more than " + MAX_BUCKETS + " buckets; ask for a shorter range or a longer window");
            }
            starts.add(s);
        }
        if (starts.isEmpty()) {
            return List.of();
        }
        RBatch batch = redis.createBatch();
        List<RFuture<String>> replies = new ArrayList<>(starts.size());
        List<String> bucketKeys = new ArrayList<>(starts.size());
        for (long s : starts) {
            String key = keys.seriesBucket(p, window, s);
            bucketKeys.add(key);
            replies.add(batch.<String, String>getMap(key, StringCodec.INSTANCE).getAsync(counter));
        }
        StoredState.execute(batch, replies, bucketKeys::get, i -> counter, "a hash");
        List<SeriesBucket> out = new ArrayList<>(starts.size());
        for (int i = 0; i < starts.size(); i++) {
            String v = replies.get(i).toCompletableFuture().join();
            out.add(new SeriesBucket(starts.get(i), v == null ? 0 : StoredState.number(counter, bucketKeys.get(i), v)));
        }
        return out;
    }

    /** Estimated number of distinct members ever added to {@code counter} with {@code unique}. */
    public long unique(String counter) {
        String key = keys.hll(partitioner.partitionOf(counter), counter);
        return StoredState.read(counter, key, HLL, () -> redis.getHyperLogLog(key, StringCodec.INSTANCE).count());
    }

    /**
     * Like {@link #unique}, but empty when the counter has no HyperLogLog (no {@code unique} entry was
     * ever applied to it), so that callers can tell "no unique counting" from "0 members". One round trip.
     */
    public OptionalLong uniqueIfPresent(String counter) {
        String key = keys.hll(partitioner.partitionOf(counter), counter);
        RBatch batch = redis.createBatch();
        RFuture<Boolean> exists = batch.getHyperLogLog(key, StringCodec.INSTANCE).isExistsAsync();
        RFuture<Long> count = batch.getHyperLogLog(key, StringCodec.INSTANCE).countAsync();
        StoredState.execute(batch, List.of(exists, count), i -> key, i -> counter, HLL);
        return exists.toCompletableFuture().join() ? OptionalLong.of(count.toCompletableFuture().join()) : OptionalLong.empty();
    }

    /**
     * Estimated number of distinct members of {@code counter} over the buckets of {@code window} that
     * start in [bucket of {@code fromMs}, {@code toMs}), e.g. the 7 daily buckets of a week (the union,
     * not the sum: a member seen on two days counts once).
     */
    public long uniqueInBuckets(String counter, String window, long fromMs, long toMs) {
        SeriesWindow w = window(window);
        int p = partitioner.partitionOf(counter);
        List<String> names = new ArrayList<>();
        for (long s = w.bucketStart(fromMs); s < toMs; s += w.lengthMs()) {
            names.add(keys.hllBucket(p, counter, window, s));
            if (names.size() > MAX_BUCKETS) {
                throw new IllegalArgumentException("more than " + MAX_BUCKETS + " buckets; ask for a shorter range");
            }
        }
        return countOnOneSlot(names, i -> counter);
    }

    /** Estimated number of distinct members in the union of these counters' all-time unique counts. */
    public long uniqueUnion(Collection<String> counters) {
        Map<Integer, List<String>> byPartition = new LinkedHashMap<>();
        Map<String, String> counterOf = new HashMap<>();
        for (String c : counters) {
            int p = partitioner.partitionOf(c);
            String key = keys.hll(p, c);
            byPartition.computeIfAbsent(p, x -> new ArrayList<>()).add(key);
            counterOf.put(key, c);
        }
        if (byPartition.isEmpty()) {
            return 0;
        }
        List<String> names = byPartition.values().stream().flatMap(List::stream).toList();
        if (byPartition.size() == 1 && names.size() <= MAX_PFCOUNT_KEYS) {
            return countOnOneSlot(names, i -> counterOf.get(names.get(i)));
        }
        if (names.size() > MAX_UNION_ACROSS_PARTITIONS) {
            throw new IllegalArgumentException(names.size() + " counters on " + (byPartition.size() == 1
                    ? "one partition" : byPartition.size() + " partitions") + ", more than "
                    + MAX_UNION_ACROSS_PARTITIONS + " a union of more than a few counters counts; ask for fewer counters");
        }
        return countAcrossSlots(names, i -> counterOf.get(names.get(i)));
    }

    /** PFCOUNT of HyperLogLogs of one slot; {@code counterAt} names the counter of each, for an error. */
    private long countOnOneSlot(List<String> names, IntFunction<String> counterAt) {
        if (names.isEmpty()) {
            return 0;
        }
        try {
            return redis.getHyperLogLog(names.get(0), StringCodec.INSTANCE)
                    .countWith(names.subList(1, names.size()).toArray(new String[0]));
        } catch (RuntimeException e) {
            throw StoredState.foreign(e).isPresent() ? culprit(names, counterAt, e) : e;
        }
    }

    /**
     * The union of HyperLogLogs on several slots: read with GET, in round trips of at most about 1 MiB, and merged
     * here; a value that is not a HyperLogLog, or one Redis would find corrupt, names its counter.
     */
    private long countAcrossSlots(List<String> names, IntFunction<String> counterAt) {
        long[] sizes = checkSizes(names, counterAt);
        HyperLogLogUnion union = new HyperLogLogUnion();
        int from = 0;
        while (from < names.size()) {
            int to = from;
            long bytes = 0;
            do {
                bytes += sizes[to++];
            } while (to < names.size() && bytes + sizes[to] <= READ_BYTES_PER_ROUND_TRIP);
            merge(union, names, from, to, counterAt);
            from = to;
        }
        return union.count();
    }

    private void merge(HyperLogLogUnion union, List<String> names, int from, int to, IntFunction<String> counterAt) {
        RBatch batch = redis.createBatch();
        List<RFuture<byte[]>> blobs = new ArrayList<>(to - from);
        for (String name : names.subList(from, to)) {
            blobs.add(batch.<byte[]>getBucket(name, ByteArrayCodec.INSTANCE).getAsync());
        }
        StoredState.execute(batch, blobs, i -> names.get(from + i), i -> counterAt.apply(from + i), HLL);
        for (int i = 0; i < blobs.size(); i++) {
            byte[] v = blobs.get(i).toCompletableFuture().join();
            if (v == null) {
                continue; // no unique entry yet: PFCOUNT takes a missing key as empty
            }
            try {
                union.add(v);
            } catch (HyperLogLogUnion.NotAHyperLogLog e) {
                throw new UnreadableStateException(counterAt.apply(from + i), names.get(from + i),
                        "the key is not " + HLL + " (" + e.getMessage() + ")", null);
            } catch (HyperLogLogUnion.CorruptHyperLogLog e) {
                throw new UnreadableStateException(counterAt.apply(from + i), names.get(from + i),
                        "its HyperLogLog is corrupt (" + e.getMessage() + ")", null);
            }
        }
    }

    /**
     * A union across slots reads each HyperLogLog whole: one round trip of STRLEN first, so that a value no
     * HyperLogLog can be (another program's) is never read into memory.
     *
     * @return the size of each value, 0 for a missing key
     */
    private long[] checkSizes(List<String> names, IntFunction<String> counterAt) {
        RBatch batch = redis.createBatch();
        List<RFuture<Long>> sizes = new ArrayList<>(names.size());
        for (String name : names) {
            sizes.add(batch.getBucket(name, ByteArrayCodec.INSTANCE).sizeAsync());
        }
        StoredState.execute(batch, sizes, names::get, counterAt, HLL);
        long[] out = new long[sizes.size()];
        for (int i = 0; i < sizes.size(); i++) {
            long size = sizes.get(i).toCompletableFuture().join();
            if (size > MAX_HLL_BYTES) {
                throw new UnreadableStateException(counterAt.apply(i), names.get(i), "its value of " + size
                        + " bytes is larger than any HyperLogLog (at most " + MAX_HLL_BYTES + ")", null);
            }
            out[i] = size;
        }
        return out;
    }

    /**
     * After Redis refused a count of several HyperLogLogs, which one it refused: each is counted on its own
     * (work only on this error path, bounded by the union's size).
     */
    private RuntimeException culprit(List<String> names, IntFunction<String> counterAt, RuntimeException refusal) {
        RBatch batch = redis.createBatch();
        List<RFuture<Long>> counts = new ArrayList<>(names.size());
        for (String name : names) {
            counts.add(batch.getHyperLogLog(name, StringCodec.INSTANCE).countAsync());
        }
        try {
            StoredState.execute(batch, counts, names::get, counterAt, HLL);
        } catch (UnreadableStateException found) {
            return found;
        } catch (RuntimeException e) {
            return refusal;
        }
        return refusal;
    }

    private SeriesWindow window(String name) {
        SeriesWindow w = windows.get(name);
        if (w == null) {
            throw new IllegalArgumentException("window '" + name + "' is not configured (series-windows = " + windows + ")");
        }
        return w;
    }

    @Override
    public void close() {
        if (ownsClient) {
            redis.shutdown();
        }
    }
}
