package io.tally.processor.internal.batch;

import org.redisson.api.stream.StreamMessageId;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Batches for tests, from entries as Redisson's stream API returns them (a repeated field name counts once). */
public final class ReadBatches {
    private ReadBatches() {
    }

    /** @param names the partition's counter names; null for events */
    public static ReadBatch fromFields(Map<StreamMessageId, Map<String, String>> read, CounterNames names) {
        int n = read.size();
        long[] ms = new long[n];
        long[] seq = new long[n];
        OpsEntries ops = names == null ? null : new OpsEntries(n, names);
        int i = 0;
        for (Map.Entry<StreamMessageId, Map<String, String>> e : read.entrySet()) {
            ms[i] = e.getKey().getId0();
            seq[i] = e.getKey().getId1();
            i++;
            if (ops != null) {
                ops.beginEntry();
                ops.fieldCount(e.getValue().size());
                e.getValue().forEach((field, value) -> {
                    byte[] name = field.getBytes(StandardCharsets.UTF_8);
                    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
                    ops.field(OpsEntries.fieldOf(name, 0, name.length), bytes, 0, bytes.length);
                });
                ops.endEntry();
            }
        }
        return new ReadBatch(ms, seq, ops);
    }
}
