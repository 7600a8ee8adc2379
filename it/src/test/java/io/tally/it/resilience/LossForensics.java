package io.tally.it.resilience;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RedisCluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Explains counters that fall short of a workload's model after a failover: for every short counter,
 * whether each acknowledged operation's entry is in its partition's ops stream or was trimmed after
 * being applied (its dedupe key still names it: then the processor skipped it, and the report shows
 * checkpoint, consumer group and pending list), or is lost from the stream (then the write or its
 * replication lost it: the report shows the send, its entry id against the failover's moments, its
 * earlier attempts and its dedupe key). Reads each partition from its master now.
 */
final class LossForensics {
    private static final String OPS = "ops";
    private static final int MAX_LINES = 100;

    /** Epoch ms of the fault's steps, and the partitions the killed master served. */
    record Failover(int killedPort, List<Integer> killedPartitions, long killedAtMs, long promotedAtMs,
                    long rejoinedAtMs) {
    }

    private record Entry(String id, Map<String, String> fields) {
    }

    private LossForensics() {
    }

    static String explain(RedisCluster cluster, Keys keys, int partitions, Failover failover, Map<String, Long> model,
                          Map<String, Long> counters, Map<String, AckedWorkload.Ack> acks) {
        Partitioner partitioner = new Partitioner(partitions);
        Map<Integer, List<String>> shortByPartition = new TreeMap<>();
        model.forEach((counter, expected) -> {
            if (counters.getOrDefault(counter, 0L) < expected) {
                shortByPartition.computeIfAbsent(partitioner.partitionOf(counter), p -> new ArrayList<>()).add(counter);
            }
        });
        StringBuilder out = new StringBuilder();
        out.append(String.format("LOSS FORENSICS: master %d killed at %d, replica promoted at %d (+%d ms), killed node "
                        + "healthy again as a replica at %d (+%d ms); it served partitions %s%n", failover.killedPort(),
                failover.killedAtMs(), failover.promotedAtMs(), failover.promotedAtMs() - failover.killedAtMs(),
                failover.rejoinedAtMs(), failover.rejoinedAtMs() - failover.killedAtMs(), failover.killedPartitions()));
        out.append(String.format("short counters by partition: %s%n", shortByPartition));
        for (int p = 0; p < partitions; p++) {
            List<String> shortCounters = shortByPartition.get(p);
            String master = cluster.masterOf(cluster.keySlot(keys.ops(p))).url();
            try (RawRedis redis = new RawRedis(master)) {
                List<Entry> entries = range(redis, keys.ops(p));
                Map<String, List<String>> byOpId = new TreeMap<>();
                for (Entry e : entries) {
                    byOpId.computeIfAbsent(e.fields().getOrDefault("id", ""), id -> new ArrayList<>()).add(e.id());
                }
                String first = entries.isEmpty() ? null : entries.get(0).id();
                List<String> lost = new ArrayList<>();
                Map<String, int[]> classes = new TreeMap<>(); // counter -> {in stream, trimmed after applying, lost}
                for (AckedWorkload.Ack a : acks.values()) {
                    if (a.result().partition() != p) {
                        continue;
                    }
                    int[] c = classes.computeIfAbsent(a.counter(), k -> new int[3]);
                    if (byOpId.containsKey(a.opId())) {
                        c[0]++;
                        continue;
                    }
                    // what Redis keeps for the id lives for the dedupe window and names the entry its op wrote: it
                    // survives retention's trim of an applied entry, and is lost with the entry when a write is lost
                    String dedupe = redis.dedupeHeld(keys, p, OPS, a.counter(), a.opId(),
                            TallyConfig.DEDUPE_WINDOW_MS.defaultValue());
                    String named = dedupe == null ? null : dedupe.split(" ")[0];
                    if (named != null && first != null && after(first, named)) {
                        c[1]++;
                    } else {
                        c[2]++;
                        lost.add(describe(a, failover) + "\n    dedupe entry now: " + dedupe);
                    }
                }
                long doubled = byOpId.values().stream().filter(ids -> ids.size() > 1).count();
                if (shortCounters == null && lost.isEmpty() && doubled == 0) {
                    continue;
                }
                out.append(String.format("partition %d (master now %s%s): %d entries from %s, %d acked ops lost from the "
                                + "stream, %d op ids written twice%n", p, master,
                        failover.killedPartitions().contains(p) ? ", was on the killed master" : "", entries.size(), first,
                        lost.size(), doubled));
                out.append("  checkpoint ").append(RawRedis.text(redis.reply("HGETALL", keys.checkpoint(p))))
                        .append("; stream ").append(RawRedis.text(redis.reply("XINFO", "STREAM", keys.ops(p))))
                        .append("\n  groups ").append(RawRedis.text(redis.reply("XINFO", "GROUPS", keys.ops(p))))
                        .append("\n  pending ").append(RawRedis.text(redis.reply("XPENDING", keys.ops(p), Keys.GROUP)))
                        .append("\n  producer sessions ").append(RawRedis.text(redis.reply("HGETALL", keys.producers(p, OPS))))
                        .append('\n');
                for (String counter : shortCounters == null ? List.<String>of() : shortCounters) {
                    int[] c = classes.getOrDefault(counter, new int[3]);
                    out.append(String.format("  counter %s: value %d, acked %d: %d in the stream, %d trimmed after "
                                    + "applying, %d lost from the stream%n", counter, counters.getOrDefault(counter, 0L),
                            model.get(counter), c[0], c[1], c[2]));
                }
                lost.stream().sorted().limit(MAX_LINES).forEach(line -> out.append("  LOST ").append(line).append('\n'));
                if (lost.size() > MAX_LINES) {
                    out.append("  ... and ").append(lost.size() - MAX_LINES).append(" more\n");
                }
                byOpId.forEach((id, ids) -> {
                    if (ids.size() > 1) {
                        out.append("  TWICE ").append(id).append(' ').append(ids).append('\n');
                    }
                });
            }
        }
        return out.toString();
    }

    private static String describe(AckedWorkload.Ack a, Failover f) {
        String entryId = a.result().entryId();
        // no entry id: the append script answered the send as a repeat of one it had handled but could not name
        String relative = entryId == null ? " (answered as a repeat)" : "";
        if (entryId != null) {
            long ms = Long.parseLong(entryId.substring(0, entryId.indexOf('-')));
            relative = String.format(" (kill%+d ms)", ms - f.killedAtMs());
        }
        return String.format("op %s counter %s entry %s%s duplicate=%s attempts=%d last sent kill%+d ms, acked kill%+d ms%s",
                a.opId(), a.counter(), entryId, relative, a.result().duplicate(), a.attempts(),
                a.lastSentAtMs() - f.killedAtMs(), a.ackedAtMs() - f.killedAtMs(),
                a.failedAttempts().isEmpty() ? "" : "\n    earlier attempts: " + String.join("\n      ", new TreeSet<>(a.failedAttempts())));
    }

    private static List<Entry> range(RawRedis redis, String stream) {
        List<Entry> out = new ArrayList<>();
        Object reply = redis.call("XRANGE", stream, "-", "+");
        for (Object item : (List<?>) reply) {
            List<?> pair = (List<?>) item;
            Map<String, String> fields = new TreeMap<>();
            RawRedis.pairs(pair.get(1)).forEach(kv -> fields.put(kv[0], kv[1]));
            out.add(new Entry(RawRedis.text(pair.get(0)), fields));
        }
        return out;
    }

    /** Whether stream id a is after b. */
    private static boolean after(String a, String b) {
        long[] x = parse(a);
        long[] y = parse(b);
        return x[0] != y[0] ? Long.compareUnsigned(x[0], y[0]) > 0 : Long.compareUnsigned(x[1], y[1]) > 0;
    }

    private static long[] parse(String id) {
        int dash = id.indexOf('-');
        return new long[]{Long.parseUnsignedLong(id.substring(0, dash)), Long.parseUnsignedLong(id.substring(dash + 1))};
    }
}
