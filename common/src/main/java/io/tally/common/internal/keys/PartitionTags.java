package io.tally.common.internal.keys;

import io.tally.common.config.ConfigException;

import java.nio.charset.StandardCharsets;

/**
 * The hash tag of each partition's keys, by the rule a namespace stores in {@code <ns>:meta} field
 * {@value #FIELD}:
 * <ul>
 *   <li>no field (namespaces created before the rule existed): {@code p<i>}. CRC16 puts these on slots
 *       unevenly, so in Redis Cluster some masters hold several partitions more than others, or none;</li>
 *   <li>{@value #SPREAD_V1}: partition i's target slot is {@code floor((2i+1) * 16384 / (2P))}, the middle
 *       of the i-th of P equal slot ranges, and its tag is {@code p<i>-<k>} with the smallest
 *       {@code k = 0, 1, 2, ...} such that {@code CRC16(p<i>-<k>) mod 16384} is that slot. Slots in the
 *       middle of equal ranges put P partitions on M masters holding equal slot ranges (as
 *       {@code redis-cli --cluster create} assigns them) to within one partition per master.</li>
 * </ul>
 * Tags are computed on first use and kept: finding one takes about 16384 CRC16s.
 */
public final class PartitionTags {
    /** Field of {@code <ns>:meta} naming the rule; absent for {@code p<i>}. */
    public static final String FIELD = "partition-tags";
    /** The rule of {@link #spread}. */
    public static final String SPREAD_V1 = "spread-v1";

    private static final PartitionTags LEGACY = new PartitionTags(null, 0);

    private final String rule;
    private final int partitions;
    /** Computed tags by partition; a racy cache of immutable strings (two threads may compute one twice). */
    private final String[] tags;

    private PartitionTags(String rule, int partitions) {
        this.rule = rule;
        this.partitions = partitions;
        this.tags = rule == null ? null : new String[partitions];
    }

    /** Tags {@code p<i>}: namespaces whose meta names no rule. */
    public static PartitionTags legacy() {
        return LEGACY;
    }

    /** Tags of rule {@value #SPREAD_V1} for P partitions: what a new namespace gets. */
    public static PartitionTags spread(int partitions) {
        if (partitions < 1 || partitions > HashSlot.SLOTS) {
            throw new IllegalArgumentException("partitions must be in [1, 16384], was " + partitions);
        }
        return new PartitionTags(SPREAD_V1, partitions);
    }

    /**
     * Tags of the rule stored in a namespace's meta.
     *
     * @param rule the stored {@value #FIELD} field, null when absent
     * @throws ConfigException when this version does not know the rule: guessing would read and write
     *                         other keys than the processes that know it
     */
    public static PartitionTags of(String rule, int partitions, String namespace, String metaKey) {
        if (rule == null) {
            return legacy();
        }
        if (rule.equals(SPREAD_V1)) {
            return spread(partitions);
        }
        throw new ConfigException("Namespace '" + namespace + "' names partition-tags rule '" + rule + "' (field "
                + FIELD + " of " + metaKey + "), which this Tally version does not know, so it cannot tell the "
                + "keys of its partitions. Run a Tally version that knows it (docs/wire-format.md lists the rules).");
    }

    /** The rule's name as stored in meta, or null for {@code p<i>}. */
    public String rule() {
        return rule;
    }

    /** Hash tag of partition p, without braces: {@code p<i>} or {@code p<i>-<k>}. */
    public String tag(int p) {
        if (rule == null) {
            return "p" + p;
        }
        if (p < 0 || p >= partitions) {
            throw new IllegalArgumentException("partition " + p + " of " + partitions);
        }
        String tag = tags[p];
        if (tag == null) {
            tag = spreadTag(p, partitions);
            tags[p] = tag;
        }
        return tag;
    }

    /** Target slot of partition p under {@value #SPREAD_V1}: the middle of the p-th of P equal slot ranges. */
    public static int targetSlot(int p, int partitions) {
        return (int) ((2L * p + 1) * HashSlot.SLOTS / (2L * partitions));
    }

    /**
     * The first {@code p<i>-<k>} on the target slot. k = 10m + d: the CRC of {@code p<i>-<m>} (of
     * {@code p<i>-} for m = 0) is computed once for its ten last digits d.
     */
    private static String spreadTag(int p, int partitions) {
        int target = targetSlot(p, partitions);
        String base = "p" + p + "-";
        int baseCrc = HashSlot.crc16(base.getBytes(StandardCharsets.US_ASCII));
        byte[] stem = new byte[10];
        for (int m = 0; ; m++) {
            int crc = baseCrc;
            if (m > 0) {
                int from = stem.length;
                for (int rest = m; rest > 0; rest /= 10) {
                    stem[--from] = (byte) ('0' + rest % 10);
                }
                crc = HashSlot.crc16(baseCrc, stem, from, stem.length);
            }
            for (int d = 0; d < 10; d++) {
                if (HashSlot.crc16(crc, (byte) ('0' + d)) % HashSlot.SLOTS == target) {
                    return base + (m > 0 ? Integer.toString(m) : "") + d;
                }
            }
        }
    }

    @Override
    public String toString() {
        return rule == null ? "p<i>" : rule;
    }
}
