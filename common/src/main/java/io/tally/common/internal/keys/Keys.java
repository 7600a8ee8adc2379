package io.tally.common.internal.keys;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Builds every Redis key Tally uses; no other class concatenates a key. All keys of partition
 * {@code i} carry the partition's hash tag ({@link PartitionTags}: {@code {p<i>}} or, in namespaces
 * created with rule {@code spread-v1}, {@code {p<i>-<k>}}) so that one script may touch them in Redis
 * Cluster. Get the keys of a namespace from {@code Namespace}, which reads the rule from its meta.
 */
public final class Keys {
    /** Consumer group on the ops and events streams. */
    public static final String GROUP = "tally";

    private final String namespace;
    private final PartitionTags tags;

    public Keys(String namespace, PartitionTags tags) {
        this.namespace = namespace;
        this.tags = tags;
    }

    /** The meta hash of a namespace, whose fields say how to build its other keys. */
    public static String meta(String namespace) {
        return namespace + ":meta";
    }

    public String namespace() {
        return namespace;
    }

    /** The rule of the partitions' hash tags. */
    public PartitionTags tags() {
        return tags;
    }

    /** Hash with the namespace's fixed settings (fields {@code partitions}, {@code partition-tags}, {@code dedupe}). */
    public String meta() {
        return meta(namespace);
    }

    /** Sorted set of live processor instances, scored by their last heartbeat (Redis time, ms). */
    public String members() {
        return namespace + ":members";
    }

    /**
     * Counter of producer sessions: each producer takes its session number from it with INCR
     * ({@code producer_session.lua}).
     */
    public String producerSessions() {
        return namespace + ":producer-sessions";
    }

    /**
     * Hash of the producer sessions that append to one stream ({@code ops} or {@code events}) of partition p:
     * session → {@code <last sequence> <first new sequence of its last call> <that call's first new entry id>}
     * ({@code append_runs.lua}).
     */
    public String producers(int p, String stream) {
        return partitionKey(p, "producers:" + stream);
    }

    public String ops(int p) {
        return partitionKey(p, "ops");
    }

    public String events(int p) {
        return partitionKey(p, "events");
    }

    public String counters(int p) {
        return partitionKey(p, "counters");
    }

    public String checkpoint(int p) {
        return partitionKey(p, "checkpoint");
    }

    public String lease(int p) {
        return partitionKey(p, "lease");
    }

    /**
     * Hash saying why the partition's owner stopped applying ({@code reason}, {@code detail},
     * {@code since} epoch ms, {@code processor}); written with a TTL and refreshed while the halt lasts,
     * deleted when it ends.
     */
    public String halt(int p) {
        return partitionKey(p, "halt");
    }

    public String triggers(int p) {
        return partitionKey(p, "triggers");
    }

    public String firings(int p) {
        return partitionKey(p, "firings");
    }

    /** Hash of event triggers by event type: type → space-separated ids of active triggers. */
    public String triggersByEvent(int p) {
        return partitionKey(p, "triggers:by-event");
    }

    /** Hash of threshold triggers by counter: counter → space-separated ids of active triggers. */
    public String triggersByCounter(int p) {
        return partitionKey(p, "triggers:by-counter");
    }

    /** Dead letters of the {@code firings} stream: firings a consumer group's handler kept failing on. */
    public String firingsDlq(int p) {
        return partitionKey(p, "firings-dlq");
    }

    /**
     * Hash of the last handler error of firings still pending in a consumer group: field
     * {@code <entry id> <group>}; read into the dead letter when the firing goes to {@link #firingsDlq}.
     */
    public String firingsErrors(int p) {
        return partitionKey(p, "firings-errors");
    }

    public String schedule(int p) {
        return partitionKey(p, "schedule");
    }

    public String dlq(int p) {
        return partitionKey(p, "dlq");
    }

    /**
     * Prefix of the idempotency keys of one stream ({@code ops} or {@code events}) of partition p:
     * {@code <ns>:{<tag>}:dedupe:<stream>:}.
     */
    public String dedupePrefix(int p, String stream) {
        return partitionKey(p, "dedupe:" + stream + ":");
    }

    /**
     * Prefix of the dedupe bucket hashes of one stream for a dedupe window ({@link DedupeLayout#BUCKETS_V1}):
     * {@code <ns>:{<tag>}:dedupe-ids:<stream>:<window ms>:}, followed by the bucket number
     * {@code floor(Redis time ms / window)}. Each hash holds an id's dedupe field
     * ({@link #dedupe(byte[], byte[], byte[])} with an empty prefix); producers with another window keep
     * their ids apart.
     */
    public String dedupeBucketPrefix(int p, String stream, long windowMs) {
        return partitionKey(p, "dedupe-ids:" + stream + ":" + windowMs + ":");
    }

    /**
     * Idempotency key of an operation id, scoped to its stream and routing key (counter or event type):
     * {@code <ns>:{<tag>}:dedupe:<stream>:<routing key length>:<routing key>:<id>}. The routing key's
     * length in UTF-8 bytes keeps keys apart whatever {@code :} the routing key and the id contain.
     */
    public String dedupe(int p, String stream, String routingKey, String operationId) {
        return new String(dedupe(dedupePrefix(p, stream).getBytes(StandardCharsets.UTF_8),
                routingKey.getBytes(StandardCharsets.UTF_8), operationId.getBytes(StandardCharsets.UTF_8)),
                StandardCharsets.UTF_8);
    }

    /**
     * {@link #dedupe(int, String, String, String)} in UTF-8 bytes, from the bytes of its prefix
     * ({@link #dedupePrefix(int, String)}), routing key and id: the producer's send path, which holds bytes.
     */
    public static byte[] dedupe(byte[] prefix, byte[] routingKey, byte[] operationId) {
        byte[] key = new byte[dedupeLength(prefix, routingKey, operationId)];
        writeDedupe(key, 0, prefix, routingKey, operationId);
        return key;
    }

    /** Bytes taken by {@link #dedupe(byte[], byte[], byte[])}. */
    public static int dedupeLength(byte[] prefix, byte[] routingKey, byte[] operationId) {
        return prefix.length + decimalLength(routingKey.length) + 1 + routingKey.length + 1 + operationId.length;
    }

    /**
     * Writes {@link #dedupe(byte[], byte[], byte[])} into {@code into} from {@code at}, so that the producer
     * can put it straight where it is sent; returns the position after it.
     */
    public static int writeDedupe(byte[] into, int at, byte[] prefix, byte[] routingKey, byte[] operationId) {
        at = put(into, at, prefix);
        int n = routingKey.length;
        int digits = decimalLength(n);
        for (int i = at + digits - 1; i >= at; i--, n /= 10) {
            into[i] = (byte) ('0' + n % 10);
        }
        at += digits;
        into[at++] = ':';
        at = put(into, at, routingKey);
        into[at++] = ':';
        return put(into, at, operationId);
    }

    private static int decimalLength(int n) {
        int digits = 1;
        while (n >= 10) {
            n /= 10;
            digits++;
        }
        return digits;
    }

    /**
     * HyperLogLog of a counter's {@code unique} members (all time). The apply script builds it as
     * {@link #hllPrefix(int)} + counter.
     */
    public String hll(int p, String counter) {
        return hllPrefix(p) + counter;
    }

    /** Prefix of the all-time HyperLogLogs of partition p; the apply script appends the counter name. */
    public String hllPrefix(int p) {
        return partitionKey(p, "hll:");
    }

    /**
     * HyperLogLog of a counter's members in one series bucket: {@link #hllBucketPrefix(int)} +
     * {@code <window>:<bucket start ms>:<counter>}. The counter comes last so that any name is unambiguous.
     */
    public String hllBucket(int p, String counter, String window, long bucketStart) {
        return hllBucketPrefix(p) + window + ":" + bucketStart + ":" + counter;
    }

    /** Prefix of the per-bucket HyperLogLogs of partition p (distinct from {@link #hllPrefix(int)}). */
    public String hllBucketPrefix(int p) {
        return partitionKey(p, "hllw:");
    }

    /**
     * Hash of one series bucket: counter name → sum of the deltas of the bucket's entries. One hash per
     * (window, bucket) holds every counter of the partition, so retention drops a bucket with one DEL.
     * The apply script builds it as {@link #seriesPrefix(int)} + {@code <window>:<bucket start ms>}.
     */
    public String seriesBucket(int p, String window, long bucketStart) {
        return seriesPrefix(p) + window + ":" + bucketStart;
    }

    /** Prefix of the series bucket hashes of partition p. */
    public String seriesPrefix(int p) {
        return partitionKey(p, "series:");
    }

    /**
     * Sorted set of every series key of partition p (bucket hashes and bucket HyperLogLogs) scored by the
     * epoch ms after which retention deletes it (bucket end + the window's retention).
     */
    public String seriesIndex(int p) {
        return partitionKey(p, "series-index");
    }

    /** Prefix of every key of partition p: {@code <ns>:{<tag>}:}. */
    public String partitionPrefix(int p) {
        return namespace + ":{" + tags.tag(p) + "}:";
    }

    /** The two input streams of a partition, ops first. */
    public List<String> inputStreams(int p) {
        return List.of(ops(p), events(p));
    }

    private static int put(byte[] into, int at, byte[] part) {
        System.arraycopy(part, 0, into, at, part.length);
        return at + part.length;
    }

    private String partitionKey(int p, String suffix) {
        return partitionPrefix(p) + suffix;
    }
}
