package io.tally.processor.internal.ownership;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

class StickyAssignorTest {

    @Test
    void everyPartitionIsAssignedOnceAndCountsDifferByAtMostOne() {
        Random random = new Random(7);
        for (int round = 0; round < 500; round++) {
            int partitions = 1 + random.nextInt(64);
            int members = 1 + random.nextInt(9);
            List<String> live = members(members);
            Map<Integer, String> owners = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                if (random.nextBoolean()) {
                    owners.put(p, "m" + random.nextInt(members + 2)); // some owners are dead members
                }
            }
            Map<String, Set<Integer>> result = StickyAssignor.assign(live, partitions, owners);
            assertBalancedAndComplete(result, partitions, members);
        }
    }

    @Test
    void aJoinMovesOnlyWhatBalanceRequires() {
        Map<String, Set<Integer>> before = StickyAssignor.assign(members(3), 16, Map.of());
        Map<String, Set<Integer>> after = StickyAssignor.assign(members(4), 16, owners(before));
        assertBalancedAndComplete(after, 16, 4);
        // 16 over 4 = 4 each: the newcomer takes exactly 4, nobody else gains anything.
        assertThat(moved(before, after)).isEqualTo(4);
        assertThat(after.get("m3")).hasSize(4);
    }

    @Test
    void aLeaveMovesOnlyTheLeaversPartitions() {
        Map<String, Set<Integer>> before = StickyAssignor.assign(members(4), 16, Map.of());
        Set<Integer> leaverHad = before.get("m1");
        Map<String, Set<Integer>> after = StickyAssignor.assign(List.of("m0", "m2", "m3"), 16, owners(before));
        assertBalancedAndComplete(after, 16, 3);
        for (String m : List.of("m0", "m2", "m3")) {
            assertThat(after.get(m)).containsAll(before.get(m));
        }
        assertThat(moved(before, after)).isEqualTo(leaverHad.size());
    }

    @Test
    void everyMemberComputesTheSameAnswerFromTheSameInputs() {
        Map<Integer, String> owners = Map.of(0, "b", 1, "b", 2, "a", 5, "c");
        Map<String, Set<Integer>> one = StickyAssignor.assign(List.of("c", "a", "b"), 8, owners);
        Map<String, Set<Integer>> two = StickyAssignor.assign(List.of("a", "b", "c"), 8, owners);
        assertThat(one).isEqualTo(two);
    }

    @Test
    void noMembersMeansNoAssignment() {
        assertThat(StickyAssignor.assign(List.of(), 4, Map.of())).isEmpty();
    }

    private static void assertBalancedAndComplete(Map<String, Set<Integer>> result, int partitions, int members) {
        Set<Integer> seen = new TreeSet<>();
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (Set<Integer> parts : result.values()) {
            for (int p : parts) {
                assertThat(seen.add(p)).as("partition %d assigned twice", p).isTrue();
            }
            min = Math.min(min, parts.size());
            max = Math.max(max, parts.size());
        }
        assertThat(result).hasSize(members);
        assertThat(seen).hasSize(partitions);
        assertThat(max - min).isLessThanOrEqualTo(1);
    }

    private static List<String> members(int n) {
        return java.util.stream.IntStream.range(0, n).mapToObj(i -> "m" + i).toList();
    }

    private static Map<Integer, String> owners(Map<String, Set<Integer>> assignment) {
        Map<Integer, String> owners = new HashMap<>();
        assignment.forEach((m, parts) -> parts.forEach(p -> owners.put(p, m)));
        return owners;
    }

    private static int moved(Map<String, Set<Integer>> before, Map<String, Set<Integer>> after) {
        Map<Integer, String> a = owners(before);
        Map<Integer, String> b = owners(after);
        int moved = 0;
        for (Map.Entry<Integer, String> e : b.entrySet()) {
            if (!e.getValue().equals(a.get(e.getKey()))) {
                moved++;
            }
        }
        return moved;
    }
}
