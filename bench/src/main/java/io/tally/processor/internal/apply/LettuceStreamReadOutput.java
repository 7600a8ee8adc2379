package io.tally.processor.internal.apply;

import io.tally.processor.internal.batch.*;
import io.tally.processor.internal.transport.*;

import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.CommandOutput;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The Lettuce counterpart of {@link StreamReadParser}: Lettuce's decoder hands over the RESP2 reply of
 * {@code XREADGROUP ... STREAMS <ops> <events> > >} element by element, and this output fills the same
 * {@link ReadBatch} and {@link OpsEntries} the direct parser does (ids into arrays, ops fields checked
 * as they come, events fields skipped), with no object per field. Runs on the connection's event loop;
 * the partition's {@link CounterNames} are confined to it.
 *
 * <p>The reply's shape, by how many arrays are open when an element arrives: 1 the streams, 2 a
 * stream's [key, entries], 3 the entries, 4 an entry's [id, fields], 5 the fields.
 */
final class LettuceStreamReadOutput extends CommandOutput<byte[], byte[], PartitionRead> {
    private static final int STREAMS = 0;
    private static final int STREAM = 1;
    private static final int ENTRIES = 2;
    private static final int ENTRY = 3;
    private static final int FIELDS = 4;

    private final byte[] opsKey;
    private final byte[] eventsKey;
    private final CounterNames names;

    /** Elements still to come in each open array, by its level. */
    private final int[] left = new int[5];
    private int depth;

    private ReadBatch ops;
    private ReadBatch events;
    // the stream being read
    private boolean isOps;
    private long[] ms;
    private long[] seq;
    private OpsEntries entries;
    private int entry;
    // the entry being read
    private boolean foldFields;
    private int fieldIndex;
    private int pendingField;
    /** A copy of a direct buffer's bytes, for the byte[] parsers; grows as needed. */
    private byte[] scratch = new byte[256];

    LettuceStreamReadOutput(byte[] opsKey, byte[] eventsKey, CounterNames names) {
        super(ByteArrayCodec.INSTANCE, null);
        this.opsKey = opsKey;
        this.eventsKey = eventsKey;
        this.names = names;
    }

    /** The read; a reply with no stream at all reads as nothing new. */
    @Override
    public PartitionRead get() {
        return output != null ? output : new PartitionRead(null, null);
    }

    @Override
    public void multi(int count) {
        int level = depth;
        if (level > FIELDS) {
            throw new IllegalStateException("XREADGROUP reply nested deeper than expected");
        }
        arrayStarts(level, count);
        if (count <= 0) {
            arrayEnds(level);
            elementDone();
        } else {
            left[level] = count;
            depth = level + 1;
        }
    }

    @Override
    public void set(ByteBuffer bytes) {
        value(bytes);
        elementDone();
    }

    @Override
    public void set(long integer) {
        throw new IllegalStateException("XREADGROUP replied with an integer");
    }

    private void arrayStarts(int level, int count) {
        switch (level) {
            case ENTRIES -> {
                int n = Math.max(0, count);
                ms = new long[n];
                seq = new long[n];
                entries = isOps ? new OpsEntries(n, names) : null;
                entry = 0;
            }
            case FIELDS -> {
                foldFields = entries != null && entries.foldable();
                fieldIndex = 0;
                if (entries != null) {
                    entries.beginEntry();
                    if (foldFields) {
                        entries.fieldCount(Math.max(0, count) / 2);
                    }
                }
            }
            default -> {
                // the streams, a stream and an entry carry nothing of their own
            }
        }
    }

    private void arrayEnds(int level) {
        switch (level) {
            case FIELDS -> {
                if (entries != null) {
                    entries.endEntry(); // an unfoldable batch is only counted: apply.lua re-reads it
                }
            }
            case ENTRY -> entry++;
            case ENTRIES -> {
                ReadBatch batch = new ReadBatch(ms, seq, entries);
                if (batch.size() > 0) {
                    if (isOps) {
                        ops = batch;
                    } else {
                        events = batch;
                    }
                }
            }
            case STREAMS -> output = new PartitionRead(ops, events);
            default -> {
                // a stream's pair carries nothing of its own
            }
        }
    }

    /** One element of the array on top is complete: closes every array it completes. */
    private void elementDone() {
        while (depth > 0) {
            if (--left[depth - 1] > 0) {
                return;
            }
            depth--;
            arrayEnds(depth);
        }
    }

    private void value(ByteBuffer bytes) {
        switch (depth - 1) {
            case STREAM -> {
                int len = copy(bytes);
                isOps = matches(len, opsKey);
                if (!isOps && !matches(len, eventsKey)) {
                    throw new IllegalStateException("XREADGROUP replied for a stream it was not asked for");
                }
            }
            case ENTRY -> parseId(scratch, copy(bytes));
            case FIELDS -> {
                boolean name = (fieldIndex++ & 1) == 0;
                if (!foldFields || bytes == null) {
                    return;
                }
                int len = copy(bytes);
                if (name) {
                    pendingField = OpsEntries.fieldOf(scratch, 0, len);
                } else {
                    entries.field(pendingField, scratch, 0, len);
                }
            }
            default -> throw new IllegalStateException("XREADGROUP replied with a value where an array belongs");
        }
    }

    private int copy(ByteBuffer bytes) {
        int len = bytes.remaining();
        if (len > scratch.length) {
            scratch = new byte[Math.max(len, scratch.length * 2)];
        }
        bytes.get(scratch, 0, len);
        return len;
    }

    private boolean matches(int len, byte[] key) {
        return len == key.length && Arrays.equals(scratch, 0, len, key, 0, len);
    }

    /** "ms-seq", both unsigned 64-bit decimals, as {@link StreamReadParser} reads them. */
    private void parseId(byte[] b, int len) {
        long a = 0;
        long c = 0;
        boolean second = false;
        for (int k = 0; k < len; k++) {
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
                second = false;
                break;
            }
        }
        if (!second) {
            throw new IllegalStateException("bad stream id " + new String(b, 0, len, StandardCharsets.US_ASCII));
        }
        ms[entry] = a;
        seq[entry] = c;
    }
}
