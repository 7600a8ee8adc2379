package io.tally.testkit;

import io.tally.common.internal.keys.HashSlot;
import io.tally.common.internal.keys.PartitionTags;

import java.util.ArrayList;
import java.util.List;

/**
 * The slot ranges {@code redis-cli --cluster create} gives M masters (equal to within one slot:
 * master j ends at {@code lround(j * 16384/M + 16384/M - 1)}, the last at 16383), and how many of a
 * namespace's partitions each master then holds.
 */
public final class EqualSlotRanges {
    private EqualSlotRanges() {
    }

    /** {@code [first, last]} slot of each of {@code masters} masters, as redis-cli assigns them. */
    public static List<int[]> of(int masters) {
        float perNode = HashSlot.SLOTS / (float) masters;
        List<int[]> ranges = new ArrayList<>();
        long first = 0;
        float cursor = 0;
        for (int i = 0; i < masters; i++) {
            long last = Math.round(cursor + perNode - 1);
            if (last > HashSlot.SLOTS || i == masters - 1) {
                last = HashSlot.SLOTS - 1;
            }
            if (last < first) {
                last = first;
            }
            ranges.add(new int[] {(int) first, (int) last});
            first = last + 1;
            cursor += perNode;
        }
        return ranges;
    }

    /** Partitions on each master of {@code ranges} when partition p's keys carry {@code tags.tag(p)}. */
    public static int[] partitionsPerMaster(List<int[]> ranges, PartitionTags tags, int partitions) {
        int[] counts = new int[ranges.size()];
        for (int p = 0; p < partitions; p++) {
            int slot = HashSlot.ofTag(tags.tag(p));
            for (int m = 0; m < ranges.size(); m++) {
                if (slot >= ranges.get(m)[0] && slot <= ranges.get(m)[1]) {
                    counts[m]++;
                }
            }
        }
        return counts;
    }
}
