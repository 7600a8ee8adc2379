package io.tally.common.cluster;

import io.tally.common.internal.keys.PartitionTags;
import io.tally.testkit.EqualSlotRanges;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How partitions land on the masters of a cluster whose masters hold equal slot ranges (as
 * {@code redis-cli --cluster create} assigns them), with the tags {@code {p<i>}} and with
 * {@code spread-v1}; {@link RedisClusterTest} checks the slot function and the ranges against a real cluster.
 */
class PartitionSpreadTest {
    private static final String START = "<!-- spread-table:start -->\n";
    private static final String END = "<!-- spread-table:end -->";

    @Test
    void spreadTagsPutPartitionsOnMastersWithEqualRangesToWithinOne() {
        for (int partitions : new int[] {8, 12, 16, 24, 32, 64, 128, 256}) {
            PartitionTags tags = PartitionTags.spread(partitions);
            for (int masters = 1; masters <= 16; masters++) {
                int[] counts = EqualSlotRanges.partitionsPerMaster(EqualSlotRanges.of(masters), tags, partitions);
                assertThat(Arrays.stream(counts).sum()).isEqualTo(partitions);
                assertThat(max(counts) - min(counts)).as("P=%d M=%d: %s", partitions, masters, Arrays.toString(counts))
                        .isLessThanOrEqualTo(1);
            }
        }
    }

    @Test
    void tagsP_iLeaveMastersEmpty() {
        // the reason for spread-v1: 16, 24 or 32 partitions over 12 masters leave 4 of them without any
        for (int partitions : new int[] {16, 24, 32}) {
            int[] counts = EqualSlotRanges.partitionsPerMaster(EqualSlotRanges.of(12), PartitionTags.legacy(), partitions);
            assertThat(Arrays.stream(counts).filter(c -> c == 0).count()).as("P=%d", partitions).isEqualTo(4);
        }
        int[] counts = EqualSlotRanges.partitionsPerMaster(EqualSlotRanges.of(12), PartitionTags.legacy(), 128);
        assertThat(max(counts) / (128 / 12.0)).isGreaterThan(1.75);
    }

    @Test
    void operationsDocSpreadTableIsComputed() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "operations.md"));
        int start = doc.indexOf(START);
        int end = doc.indexOf(END);
        assertThat(start).as("docs/operations.md has the spread-table markers").isNotNegative();
        assertThat(doc.substring(start + START.length(), end))
                .as("docs/operations.md spread table is stale; replace it with the expected text").isEqualTo(table());
    }

    /** Busiest master's partitions over the mean (P/M), for common P and M, both tag rules. */
    static String table() {
        List<Integer> masters = List.of(3, 6, 12);
        StringBuilder out = new StringBuilder("| P |");
        masters.forEach(m -> out.append(" M=").append(m).append(" `{p<i>}` | M=").append(m).append(" `spread-v1` |"));
        out.append("\n| --- |");
        masters.forEach(m -> out.append(" --- | --- |"));
        out.append('\n');
        for (int partitions : new int[] {16, 24, 32, 64, 128}) {
            out.append("| ").append(partitions).append(" |");
            for (int m : masters) {
                out.append(' ').append(cell(partitions, m, PartitionTags.legacy())).append(" |");
                out.append(' ').append(cell(partitions, m, PartitionTags.spread(partitions))).append(" |");
            }
            out.append('\n');
        }
        return out.toString();
    }

    /** {@code max/mean (max), N empty}. */
    private static String cell(int partitions, int masters, PartitionTags tags) {
        int[] counts = EqualSlotRanges.partitionsPerMaster(EqualSlotRanges.of(masters), tags, partitions);
        long empty = Arrays.stream(counts).filter(c -> c == 0).count();
        String cell = String.format(Locale.ROOT, "%.2f (%d)", max(counts) / ((double) partitions / masters), max(counts));
        return empty == 0 ? cell : cell + ", " + empty + " empty";
    }

    private static int max(int[] counts) {
        return Arrays.stream(counts).max().orElseThrow();
    }

    private static int min(int[] counts) {
        return Arrays.stream(counts).min().orElseThrow();
    }
}
