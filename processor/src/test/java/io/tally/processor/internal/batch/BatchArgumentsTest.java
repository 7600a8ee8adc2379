package io.tally.processor.internal.batch;

import io.tally.common.internal.keys.Partitioner;
import io.tally.common.series.SeriesWindows;
import org.junit.jupiter.api.Test;
import org.redisson.api.stream.StreamMessageId;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fast script's per-batch arguments (ids and fold) over batches shaped like the bench's workload:
 * the same text as a plain map fold gives, at a bounded allocation per entry (the processor's young
 * collections under load follow its allocation rate).
 */
class BatchArgumentsTest {
    private static final int PARTITIONS = 16;
    private static final int P = 3;
    private final List<String> counters = new ArrayList<>();
    private final CounterNames names = new CounterNames(P, PARTITIONS);
    private final SeriesRules series = new SeriesRules(SeriesWindows.parse("1m=48h,1h=90d"), 60_000);
    private final SplittableRandom random = new SplittableRandom(7);

    BatchArgumentsTest() {
        Partitioner partitioner = new Partitioner(PARTITIONS);
        for (int i = 0; counters.size() < 625; i++) {
            if (partitioner.partitionOf("c" + i) == P) {
                counters.add("c" + i);
            }
        }
    }

    @Test
    void foldsAsAMapOfCountersWould() {
        for (int size : new int[]{1, 2, 7, 64, 130, 1000}) {
            Map<StreamMessageId, Map<String, String>> read = entries(size, 1_795_428_030_000L);
            Map<String, Long> expected = new LinkedHashMap<>();
            StringBuilder ids = new StringBuilder();
            read.forEach((id, fields) -> {
                long by = Long.parseLong(fields.get("by"));
                expected.merge(fields.get("counter"), fields.get("op").equals("decr") ? -by : by, Long::sum);
                ids.append(id.getId0()).append('-').append(id.getId1()).append(' ');
            });
            StringBuilder pairs = new StringBuilder();
            expected.forEach((counter, change) -> pairs.append(counter).append('\n').append(change).append('\n'));

            ReadBatch batch = ReadBatches.fromFields(read, names);
            assertThat(new String(batch.fold(series).pairs(), StandardCharsets.UTF_8)).isEqualTo(pairs.toString());
            assertThat(new String(batch.joinedIds(), StandardCharsets.UTF_8)).isEqualTo(ids.toString());
        }
    }

    @Test
    void allocatesLittlePerEntry() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        double perEntry = Double.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            List<ReadBatch> batches = new ArrayList<>();
            for (int b = 0; b < 500; b++) {
                batches.add(ReadBatches.fromFields(entries(130, 1_795_428_030_000L + b * 1000L), names));
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            long sent = 0;
            for (ReadBatch batch : batches) {
                sent += batch.joinedIds().length + batch.fold(series).pairs().length;
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(sent).isPositive();
            perEntry = Math.min(perEntry, allocated / (500.0 * 130));
        }
        // a map entry and change per counter plus the arguments built as strings took 150-200 bytes
        assertThat(perEntry).isLessThan(100);
    }

    /** Entries as the bench sends them: incr (90 %) or decr by 1..100 of one of the partition's counters. */
    private Map<StreamMessageId, Map<String, String>> entries(int n, long firstMs) {
        Map<StreamMessageId, Map<String, String>> read = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("op", random.nextInt(10) == 0 ? "decr" : "incr");
            fields.put("counter", counters.get(random.nextInt(counters.size())));
            fields.put("by", Integer.toString(1 + random.nextInt(100)));
            fields.put("ts", Long.toString(firstMs + i / 8));
            read.put(new StreamMessageId(firstMs + i / 8, i % 8), fields);
        }
        return read;
    }
}
