package io.tally.processor.internal.ownership;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Balanced, sticky partition assignment, computed independently by every processor from the same
 * inputs (live members and current lease owners) so that all agree without talking to each other.
 *
 * <p>Balanced: counts differ by at most one. Sticky: a member keeps the partitions it owns up to its
 * quota, and the members that own the most get the spare (+1) quotas, so a join or a leave moves
 * only the partitions that must move.
 */
public final class StickyAssignor {
    private StickyAssignor() {
    }

    /**
     * @param members       live member ids
     * @param partitions    P
     * @param currentOwners partition to owner id; owners that are not live members are ignored
     * @return member id to its partitions (every member present, every partition assigned once)
     */
    public static Map<String, Set<Integer>> assign(List<String> members, int partitions, Map<Integer, String> currentOwners) {
        Map<String, Set<Integer>> result = new TreeMap<>();
        if (members.isEmpty()) {
            return result;
        }
        List<String> sorted = new ArrayList<>(new TreeSet<>(members));
        Map<String, List<Integer>> owned = ownedBy(sorted, partitions, currentOwners);
        Map<String, Integer> quota = quotas(sorted, partitions, owned);
        Set<Integer> free = new TreeSet<>();
        for (int p = 0; p < partitions; p++) {
            free.add(p);
        }
        for (String m : sorted) {
            result.put(m, new TreeSet<>());
            List<Integer> mine = owned.get(m);
            for (int i = 0; i < mine.size() && i < quota.get(m); i++) {
                result.get(m).add(mine.get(i));
                free.remove(mine.get(i));
            }
        }
        var freeIt = free.iterator();
        for (String m : sorted) {
            Set<Integer> mine = result.get(m);
            while (mine.size() < quota.get(m) && freeIt.hasNext()) {
                mine.add(freeIt.next());
            }
        }
        return result;
    }

    /** The partitions each live member owns now, in partition order. */
    private static Map<String, List<Integer>> ownedBy(List<String> members, int partitions,
                                                      Map<Integer, String> currentOwners) {
        Map<String, List<Integer>> owned = new HashMap<>();
        for (String m : members) {
            owned.put(m, new ArrayList<>());
        }
        for (int p = 0; p < partitions; p++) {
            String owner = currentOwners.get(p);
            if (owner != null && owned.containsKey(owner)) {
                owned.get(owner).add(p);
            }
        }
        return owned;
    }

    /** Each member's share, {@code P / n} or one more: the members that own the most get the spare ones. */
    private static Map<String, Integer> quotas(List<String> members, int partitions, Map<String, List<Integer>> owned) {
        int base = partitions / members.size();
        int extra = partitions % members.size();
        List<String> bySize = new ArrayList<>(members);
        bySize.sort(Comparator.comparingInt((String m) -> -owned.get(m).size()).thenComparing(m -> m));
        Map<String, Integer> quota = new HashMap<>();
        for (int i = 0; i < bySize.size(); i++) {
            quota.put(bySize.get(i), base + (i < extra ? 1 : 0));
        }
        return quota;
    }
}
