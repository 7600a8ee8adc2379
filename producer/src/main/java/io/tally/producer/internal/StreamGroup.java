package io.tally.producer.internal;


import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The sends of one pipeline that go to one stream, in send order: they leave as one
 * {@code append_runs.lua} call (KEYS: the stream, its producer sessions hash, then the dedupe keys of the
 * sends that have an id, or the stream's three dedupe buckets; with the producer's session and the first
 * send's sequence number when sessions are on), so a pipeline costs one command per partition and stream
 * rather than one per send.
 */
final class StreamGroup {
    private static final byte[] PLAIN = {'0'};
    private static final byte[] IDEMPOTENT = {'1'};
    private static final byte[] IDEMPOTENT_IN_BUCKETS = {'2'};
    private static final byte[] NONE = {};

    final int topic;
    final int partition;
    final List<PendingSend> sends = new ArrayList<>();
    CompletableFuture<List<Object>> reply;
    /**
     * Replicas of the stream's own master that confirmed the call (its WAIT, acks=replicas), set by the
     * pipeline before it completes; 0 otherwise.
     */
    int confirmedReplicas;
    private int idempotent;
    /** The session and the first send's number ({@link StreamSequences#number}), or null and 0. */
    private ProducerSession session;
    private long first;
    /** The dedupe buckets this call names (current, previous, next), or null: a dedupe key per send with an id. */
    private byte[][] dedupeBuckets;

    private StreamGroup(int topic, int partition) {
        this.topic = topic;
        this.partition = partition;
    }

    /** Groups a pipeline's sends by stream, keeping their order within each stream. */
    static List<StreamGroup> byStream(List<PendingSend> sends, int partitions) {
        StreamGroup[] byStream = new StreamGroup[2 * partitions];
        List<StreamGroup> groups = new ArrayList<>();
        for (PendingSend send : sends) {
            int slot = send.topic * partitions + send.partition;
            StreamGroup group = byStream[slot];
            if (group == null) {
                group = byStream[slot] = new StreamGroup(send.topic, send.partition);
                groups.add(group);
            }
            group.add(send);
        }
        return groups;
    }

    void numbered(ProducerSession session, long first) {
        this.session = session;
        this.first = first;
    }

    /** Names the dedupe buckets the call's ids are looked up in and written to. */
    void dedupeBuckets(byte[][] buckets) {
        this.dedupeBuckets = buckets;
    }

    /** Whether some send has an operation id. */
    boolean hasIds() {
        return idempotent > 0;
    }

    ProducerSession session() {
        return session;
    }

    long first() {
        return first;
    }

    String streamName() {
        return StreamKeys.topic(topic) + " of partition " + partition;
    }

    private void add(PendingSend send) {
        sends.add(send);
        if (send.idempotent()) {
            idempotent++;
        }
    }

    /**
     * The EVALSHA arguments after the command name: sha, key count, KEYS, then ARGV as
     * {@code append_runs.lua} reads them (dedupe window, session and first sequence number, empty without
     * a session, then runs of consecutive sends with the same field names and idempotence, each naming its
     * fields once and packing its values, and the payload digests of idempotent sends, into one
     * MessagePack array). Every argument is a byte array, written as it is.
     */
    Object[] evalShaArgs(byte[] sha, byte[] streamKey, byte[] producersKey, byte[] dedupeWindowMs) {
        boolean inBuckets = dedupeBuckets != null && idempotent > 0;
        List<Object> args = new ArrayList<>(8 + idempotent + 16);
        args.add(sha);
        args.add(Ascii.ofLong(inBuckets ? 5 : 2 + idempotent));
        args.add(streamKey);
        args.add(producersKey);
        if (inBuckets) {
            args.add(dedupeBuckets[0]);
            args.add(dedupeBuckets[1]);
            args.add(dedupeBuckets[2]);
        } else {
            for (PendingSend send : sends) {
                if (send.idempotent()) {
                    args.add(send.dedupe());
                }
            }
        }
        args.add(dedupeWindowMs);
        args.add(session == null ? NONE : session.id());
        args.add(session == null ? NONE : Ascii.ofLong(first));
        int start = 0;
        while (start < sends.size()) {
            PendingSend first = sends.get(start);
            int end = start + 1;
            while (end < sends.size() && sameRun(first, sends.get(end))) {
                end++;
            }
            byte[][] names = first.names;
            args.add(Ascii.ofLong(end - start));
            args.add(Ascii.ofLong(names.length));
            args.add(!first.idempotent() ? PLAIN : inBuckets ? IDEMPOTENT_IN_BUCKETS : IDEMPOTENT);
            for (byte[] name : names) {
                args.add(name);
            }
            args.add(packValues(start, end, inBuckets));
            start = end;
        }
        return args.toArray();
    }

    /**
     * The field values of sends [start, end) as one MessagePack array, send by send, each idempotent
     * send's values followed by its payload digest, and by its dedupe field {@code inBuckets}: the sends'
     * packed values copied as they are ({@link PendingSend#packedLength}).
     */
    private byte[] packValues(int start, int end, boolean inBuckets) {
        boolean idempotent = sends.get(start).idempotent();
        boolean dedupeFields = idempotent && inBuckets;
        int size = MsgPack.arrayHeaderSize();
        for (int s = start; s < end; s++) {
            size += sends.get(s).packedLength(dedupeFields);
        }
        byte[] packed = new byte[size];
        int perSend = sends.get(start).names.length + (idempotent ? 1 : 0) + (dedupeFields ? 1 : 0);
        int at = MsgPack.writeArrayHeader(packed, 0, (end - start) * perSend);
        for (int s = start; s < end; s++) {
            PendingSend send = sends.get(s);
            int length = send.packedLength(dedupeFields);
            System.arraycopy(send.values, 0, packed, at, length);
            at += length;
        }
        return packed;
    }

    /** Whether two sends can share a run: same idempotence and the same field names in the same order. */
    static boolean sameRun(PendingSend a, PendingSend b) {
        if (a.idempotent() != b.idempotent()) {
            return false;
        }
        // sends of one shape share their names array; events with parameters have arrays of their own
        if (a.names == b.names) {
            return true;
        }
        if (a.names.length != b.names.length) {
            return false;
        }
        for (int i = 0; i < a.names.length; i++) {
            if (a.names[i] != b.names[i] && !Arrays.equals(a.names[i], b.names[i])) {
                return false;
            }
        }
        return true;
    }
}
