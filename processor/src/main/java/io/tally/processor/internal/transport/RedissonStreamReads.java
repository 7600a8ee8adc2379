package io.tally.processor.internal.transport;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.resp.RespProtocolException;
import io.tally.processor.internal.batch.CounterNames;
import io.tally.processor.internal.batch.OpsEntries;
import io.tally.processor.internal.batch.PartitionRead;
import io.tally.processor.internal.batch.ReadBatch;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.ByteArrayCodec;
import org.redisson.client.protocol.RedisCommand;
import org.redisson.client.protocol.decoder.ObjectListReplayDecoder;
import org.redisson.command.CommandAsyncExecutor;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Stream reads through Redisson: the read path of Sentinel mode (and of {@code hot-path-connection
 * redisson}), where Redisson knows which master holds a partition's slot. The reply is taken as Redisson
 * decodes any array, nested lists of the bulk strings' bytes, and judged as {@link StreamReadParser}
 * judges the direct path's: Redisson's stream API would parse ids as signed longs (an id of 2^63 or more
 * fails the read) and hand fields over as a map (a repeated name would count once against the limit on
 * fields). A reply is parsed on the thread that completes it; reads of one partition never overlap (its
 * next read is sent after this one was handled), so its names stay confined to one reader at a time.
 */
final class RedissonStreamReads implements StreamReads {
    private static final RedisCommand<List<Object>> XREADGROUP =
            new RedisCommand<>("XREADGROUP", new ObjectListReplayDecoder<>());

    private final CommandAsyncExecutor executor;
    private final Keys keys;
    private final String consumer;
    private final CounterNames[] names;

    /** @param redis a client made by {@code Redisson.create}, as every client of Tally is */
    RedissonStreamReads(RedissonClient redis, Keys keys, int partitions, String consumer) {
        this.executor = ((Redisson) redis).getCommandExecutor();
        this.keys = keys;
        this.consumer = consumer;
        this.names = new CounterNames[partitions];
        for (int p = 0; p < partitions; p++) {
            names[p] = new CounterNames(p, partitions);
        }
    }

    @Override
    public CompletableFuture<PartitionRead> readNew(int partition, int count) {
        String ops = keys.ops(partition);
        return executor.<List<Object>, List<Object>>writeAsync(ops, ByteArrayCodec.INSTANCE, XREADGROUP, "GROUP",
                        Keys.GROUP, consumer, "COUNT", count, "STREAMS", ops, keys.events(partition), ">", ">")
                .toCompletableFuture()
                .thenApply(reply -> parse(partition, reply));
    }

    /** The reply: per stream with new entries {@code [key, [[id, [name, value, ...]], ...]]}; empty when none has. */
    private PartitionRead parse(int partition, List<Object> reply) {
        byte[] opsKey = keys.ops(partition).getBytes(StandardCharsets.UTF_8);
        ReadBatch ops = null;
        ReadBatch events = null;
        for (Object stream : reply == null ? List.of() : reply) {
            List<?> keyAndEntries = (List<?>) stream;
            List<?> entries = (List<?>) keyAndEntries.get(1);
            if (entries.isEmpty()) {
                continue;
            }
            if (Arrays.equals((byte[]) keyAndEntries.get(0), opsKey)) {
                ops = batch(entries, names[partition]);
            } else {
                events = batch(entries, null);
            }
        }
        return new PartitionRead(ops, events);
    }

    /** As {@link StreamReadParser} reads entries: every field counted, names repeated or not; events only counted. */
    private static ReadBatch batch(List<?> entries, CounterNames names) {
        int n = entries.size();
        long[] ms = new long[n];
        long[] seq = new long[n];
        OpsEntries ops = names == null ? null : new OpsEntries(n, names);
        for (int i = 0; i < n; i++) {
            List<?> entry = (List<?>) entries.get(i);
            byte[] id = (byte[]) entry.get(0);
            try {
                StreamReadParser.parseId(id, 0, id.length, ms, seq, i);
            } catch (RespProtocolException e) {
                throw new UncheckedIOException(e);
            }
            if (ops == null) {
                continue;
            }
            ops.beginEntry();
            List<?> fields = (List<?>) entry.get(1);
            if (ops.foldable() && fields != null) { // else only counted: the batch goes to apply.lua anyway
                ops.fieldCount(fields.size() / 2);
                for (int f = 0; f + 1 < fields.size(); f += 2) {
                    byte[] name = (byte[]) fields.get(f);
                    byte[] value = (byte[]) fields.get(f + 1);
                    if (value != null) {
                        ops.field(OpsEntries.fieldOf(name, 0, name.length), value, 0, value.length);
                    }
                }
            }
            ops.endEntry();
        }
        return new ReadBatch(ms, seq, ops);
    }
}
