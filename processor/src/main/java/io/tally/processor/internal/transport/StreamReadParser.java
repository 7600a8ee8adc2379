package io.tally.processor.internal.transport;

import io.tally.common.internal.resp.ReplyParser;
import io.tally.common.internal.resp.RespProtocolException;
import io.tally.common.internal.resp.RespReader;
import io.tally.processor.internal.batch.CounterNames;
import io.tally.processor.internal.batch.OpsEntries;
import io.tally.processor.internal.batch.PartitionRead;
import io.tally.processor.internal.batch.ReadBatch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Parses the RESP2 reply of {@code XREADGROUP ... STREAMS <ops> <events> > >} for one partition
 * straight from the socket buffer: ids into arrays, ops fields into {@link OpsEntries} (no object per
 * field), events fields skipped (apply.lua re-reads events from the pending list). Runs on the
 * connection's reader thread; the partition's {@link CounterNames} are confined to it.
 */
final class StreamReadParser implements ReplyParser<PartitionRead> {
    private final byte[] opsKey;
    private final byte[] eventsKey;
    private final CounterNames names;

    StreamReadParser(String opsKey, String eventsKey, CounterNames names) {
        this.opsKey = opsKey.getBytes(StandardCharsets.UTF_8);
        this.eventsKey = eventsKey.getBytes(StandardCharsets.UTF_8);
        this.names = names;
    }

    @Override
    public PartitionRead parse(RespReader in) throws IOException {
        int streams = in.arrayLength();
        ReadBatch ops = null;
        ReadBatch events = null;
        for (int s = 0; s < streams; s++) {
            if (in.arrayLength() != 2) {
                throw new RespProtocolException("a stream of an XREADGROUP reply is not [key, entries]");
            }
            int keyAt = in.bulk();
            boolean isOps = matches(in, keyAt, opsKey);
            if (!isOps && !matches(in, keyAt, eventsKey)) {
                throw new RespProtocolException("XREADGROUP replied for a stream it was not asked for");
            }
            ReadBatch batch = entries(in, isOps);
            if (batch.size() > 0) {
                if (isOps) {
                    ops = batch;
                } else {
                    events = batch;
                }
            }
        }
        return new PartitionRead(ops, events);
    }

    private ReadBatch entries(RespReader in, boolean isOps) throws IOException {
        int n = Math.max(0, in.arrayLength());
        long[] ms = new long[n];
        long[] seq = new long[n];
        OpsEntries ops = isOps ? new OpsEntries(n, names) : null;
        for (int i = 0; i < n; i++) {
            if (in.arrayLength() != 2) {
                throw new RespProtocolException("a stream entry is not [id, fields]");
            }
            int idAt = in.bulk();
            if (idAt < 0) {
                throw new RespProtocolException("a stream entry has a null id");
            }
            parseId(in.buffer(), idAt, in.lastLength(), ms, seq, i);
            if (ops == null || !ops.foldable()) {
                if (ops != null) {
                    ops.beginEntry();
                    ops.endEntry(); // only counted: the batch goes to apply.lua anyway
                }
                in.skip();
                continue;
            }
            int fields = in.arrayLength();
            ops.beginEntry();
            ops.fieldCount(fields / 2);
            for (int f = 0; f + 1 < fields; f += 2) {
                int nameAt = in.bulk();
                int field = OpsEntries.fieldOf(in.buffer(), nameAt, in.lastLength());
                int valueAt = in.bulk();
                if (valueAt >= 0) {
                    ops.field(field, in.buffer(), valueAt, in.lastLength());
                }
            }
            ops.endEntry();
        }
        return new ReadBatch(ms, seq, ops);
    }

    private static boolean matches(RespReader in, int at, byte[] key) {
        return in.lastLength() == key.length && Arrays.equals(in.buffer(), at, at + key.length, key, 0, key.length);
    }

    /** "ms-seq", both unsigned 64-bit decimals, into {@code ms[i]} and {@code seq[i]}. */
    static void parseId(byte[] b, int off, int len, long[] ms, long[] seq, int i) throws RespProtocolException {
        long a = 0;
        long c = 0;
        boolean second = false;
        for (int k = off; k < off + len; k++) {
            byte x = b[k];
            if (x == '-' && !second) {
                second = true;
            } else if (x >= '0' && x <= '9') {
                if (second) {
                    c = c * 10 + (x - '0');
                } else {
                    a = a * 10 + (x - '0');
                }
            } else {
                throw new RespProtocolException("bad stream id " + new String(b, off, len, StandardCharsets.US_ASCII));
            }
        }
        if (!second) {
            throw new RespProtocolException("bad stream id " + new String(b, off, len, StandardCharsets.US_ASCII));
        }
        ms[i] = a;
        seq[i] = c;
    }
}
