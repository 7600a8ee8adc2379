package io.tally.producer.internal;

import org.redisson.api.RFuture;

import java.util.ArrayList;
import java.util.List;

/**
 * The sends of one pipeline that go to one stream, in send order: they leave as one
 * {@code send_batch.lua} call (KEYS: the stream, then the dedupe keys of the sends that have an id),
 * so a pipeline costs one command per partition and stream rather than one per send.
 */
final class StreamGroup {
    private static final byte[] PLAIN = {'0'};
    private static final byte[] IDEMPOTENT = {'1'};

    final int topic;
    final int partition;
    final List<PendingSend> sends = new ArrayList<>();
    RFuture<List<Object>> reply;
    private int idempotent;
    private int fieldCount;

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

    private void add(PendingSend send) {
        sends.add(send);
        fieldCount += send.fields.length;
        if (send.idempotent()) {
            idempotent++;
        }
    }

    /**
     * The EVALSHA arguments after the command name: sha, key count, KEYS, then ARGV as
     * {@code send_batch.lua} reads them. Every argument is a byte array, written to Redis as it is.
     */
    Object[] evalShaArgs(byte[] sha, byte[] streamKey, byte[] dedupeWindowMs) {
        Object[] args = new Object[2 + 1 + idempotent + 2 + 2 * sends.size() + fieldCount];
        int at = 0;
        args[at++] = sha;
        args[at++] = Ascii.ofLong(1 + idempotent);
        args[at++] = streamKey;
        for (PendingSend send : sends) {
            if (send.idempotent()) {
                args[at++] = send.dedupeKey;
            }
        }
        args[at++] = dedupeWindowMs;
        args[at++] = Ascii.ofLong(sends.size());
        for (PendingSend send : sends) {
            args[at++] = Ascii.ofLong(send.fields.length / 2);
            args[at++] = send.idempotent() ? IDEMPOTENT : PLAIN;
            System.arraycopy(send.fields, 0, args, at, send.fields.length);
            at += send.fields.length;
        }
        return args;
    }
}
