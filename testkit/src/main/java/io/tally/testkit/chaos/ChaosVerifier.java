package io.tally.testkit.chaos;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.testkit.RawRedis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads a namespace back from Redis and compares it, exactly, with what a chaos run expects: every
 * counter, every 1m bucket of the windowed counters, the distinct firings of every trigger (replays
 * dropped by {@code firing_id}), the dead letter of every hostile entry, and partitions drained to
 * their last entry. Collects mismatches as sentences instead of stopping at the first.
 */
public final class ChaosVerifier {
    /** Series buckets starting further than this ahead of the check are taken from a writer's clock or id. */
    private static final long FUTURE_SLACK_MS = 24 * 3600 * 1000L;

    /** What the run expects. */
    public record Expected(Map<String, Long> counters, Map<String, Long> buckets, Set<String> windowedCounters,
                           Map<String, Long> firings, Map<String, String> triggerIds, Map<String, Integer> uniques,
                           List<HostileCatalogue.Written> hostile, String futureCounter) {
    }

    /** Figures of the check, for the report. */
    public record Figures(long deadLetters, long firings, long firingReplays, long counters, long buckets) {
    }

    private final String redisUrl;
    private final Keys keys;
    private final int partitions;
    private final List<String> mismatches = new ArrayList<>();
    private Figures figures = new Figures(0, 0, 0, 0, 0);

    public ChaosVerifier(String redisUrl, Keys keys, int partitions) {
        this.redisUrl = redisUrl;
        this.keys = keys;
        this.partitions = partitions;
    }

    /**
     * Waits until every partition's checkpoint of ops and events is its stream's last id and nothing is
     * pending; returns how long that took, and records each partition still behind at the timeout.
     */
    public long awaitDrained(long timeoutMs) {
        long start = System.nanoTime();
        long deadline = start + timeoutMs * 1_000_000;
        List<String> behind;
        do {
            try (RawRedis redis = new RawRedis(redisUrl)) {
                behind = behind(redis);
            } catch (RuntimeException e) {
                behind = List.of("Redis unreachable: " + e.getMessage());
            }
            if (behind.isEmpty()) {
                return (System.nanoTime() - start) / 1_000_000;
            }
            ValidTraffic.sleepMs(200);
        } while (System.nanoTime() < deadline);
        behind.forEach(b -> mismatches.add("not drained after " + timeoutMs + " ms: " + b));
        return (System.nanoTime() - start) / 1_000_000;
    }

    private List<String> behind(RawRedis redis) {
        List<String> out = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            for (String topic : List.of("ops", "events")) {
                String stream = topic.equals("ops") ? keys.ops(p) : keys.events(p);
                if ((Long) redis.call("EXISTS", stream) == 0) {
                    continue;
                }
                String last = null;
                for (String[] kv : RawRedis.pairs(redis.call("XINFO", "STREAM", stream))) {
                    if (kv[0].equals("last-generated-id")) {
                        last = kv[1];
                    }
                }
                if (last == null || last.equals("0-0")) {
                    continue; // created empty by the consumer group
                }
                String checkpoint = RawRedis.text(redis.call("HGET", keys.checkpoint(p), topic));
                Object pending = redis.reply("XPENDING", stream, Keys.GROUP);
                long pendingCount = pending instanceof List<?> l && !l.isEmpty() ? (Long) l.get(0) : 0;
                if (!String.valueOf(last).equals(checkpoint) || pendingCount > 0) {
                    out.add("partition " + p + " " + topic + ": last entry " + last + ", checkpoint " + checkpoint
                            + ", pending " + pendingCount);
                }
            }
        }
        return out;
    }

    /** Compares everything; the mismatches found (this call's and {@link #awaitDrained}'s). */
    public List<String> verify(Expected expected) {
        try (RawRedis redis = new RawRedis(redisUrl)) {
            Map<String, Long> counters = readCounters(redis);
            Map<String, List<String[]>> deadLetters = readDeadLetters(redis);
            long deadLetterCount = deadLetters.values().stream().mapToLong(List::size).sum();
            Map<String, Long> wanted = new TreeMap<>(expected.counters());
            Map<String, Long> wantedFirings = new TreeMap<>(expected.firings());
            checkHostile(expected.hostile(), deadLetters, wanted, wantedFirings);
            checkCounters(counters, wanted);
            long[] firingFigures = checkFirings(redis, wantedFirings, expected.triggerIds());
            long buckets = checkBuckets(redis, expected);
            checkUniques(redis, expected.uniques());
            figures = new Figures(deadLetterCount, firingFigures[0], firingFigures[1], counters.size(), buckets);
        }
        return List.copyOf(mismatches);
    }

    public Figures figures() {
        return figures;
    }

    private Map<String, Long> readCounters(RawRedis redis) {
        Map<String, Long> all = new TreeMap<>();
        Map<String, Integer> home = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            for (String[] kv : RawRedis.pairs(redis.call("HGETALL", keys.counters(p)))) {
                Integer other = home.put(kv[0], p);
                if (other != null) {
                    mismatches.add("counter '" + shown(kv[0]) + "' is stored in partitions " + other + " and " + p);
                }
                try {
                    all.merge(kv[0], Long.parseLong(kv[1]), Long::sum);
                } catch (NumberFormatException e) {
                    mismatches.add("counter '" + shown(kv[0]) + "' holds '" + shown(kv[1]) + "', not an integer");
                }
            }
        }
        return all;
    }

    /** Dead letters keyed {@code partition/source/source_id}, each as {reason, error}. */
    private Map<String, List<String[]>> readDeadLetters(RawRedis redis) {
        Map<String, List<String[]>> out = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            for (Object entry : (List<?>) redis.call("XRANGE", keys.dlq(p), "-", "+")) {
                Map<String, String> f = new HashMap<>();
                for (String[] kv : RawRedis.pairs(((List<?>) entry).get(1))) {
                    if (!kv[0].startsWith("f.")) {
                        f.put(kv[0], kv[1]);
                    }
                }
                out.computeIfAbsent(p + "/" + f.get("source") + "/" + f.get("source_id"), k -> new ArrayList<>())
                        .add(new String[]{f.get("reason"), f.get("error")});
            }
        }
        return out;
    }

    /** Each hostile entry: dead exactly once with an accepted reason, or applied, as it expects. */
    private void checkHostile(List<HostileCatalogue.Written> hostile, Map<String, List<String[]>> deadLetters,
                              Map<String, Long> counters, Map<String, Long> firings) {
        for (HostileCatalogue.Written w : hostile) {
            HostileEntry e = w.entry();
            List<String[]> dead = deadLetters.remove(e.partition() + "/" + e.stream() + "/" + w.id());
            int n = dead == null ? 0 : dead.size();
            String reasons = dead == null ? "" : String.join(", ", dead.stream().map(d -> d[0] + " (" + d[1] + ")").toList());
            switch (e.outcome()) {
                case DEAD -> {
                    if (n != 1) {
                        mismatches.add("hostile entry '" + e + "' " + w.id() + ": " + n + " dead letters, expected exactly 1 "
                                + reasons);
                    } else if (!e.reasons().isEmpty() && !e.reasons().contains(dead.get(0)[0])) {
                        mismatches.add("hostile entry '" + e + "': dead letter reason " + reasons + ", expected one of " + e.reasons());
                    }
                }
                case APPLIED -> {
                    if (n != 0) {
                        mismatches.add("entry '" + e + "' " + w.id() + " must be applied, was dead-lettered: " + reasons);
                    }
                }
                case EITHER -> {
                    if (n > 1) {
                        mismatches.add("hostile entry '" + e + "' " + w.id() + ": " + n + " dead letters " + reasons);
                    }
                    long want = n == 0 ? e.ifApplied() : e.ifDead();
                    if (e.counter() != null) {
                        counters.put(e.counter(), want);
                    } else {
                        firings.put(e.trigger(), want);
                    }
                }
            }
        }
        deadLetters.forEach((key, list) -> list.forEach(d -> mismatches.add(
                "unexpected dead letter of " + key + ": " + d[0] + " (" + d[1] + ")")));
    }

    private void checkCounters(Map<String, Long> actual, Map<String, Long> expected) {
        expected.forEach((name, want) -> {
            long got = actual.getOrDefault(name, 0L);
            if (got != want) {
                mismatches.add("counter " + name + " = " + got + ", expected " + want + " (" + (got - want) + ")");
            }
        });
        actual.forEach((name, got) -> {
            if (!expected.containsKey(name)) {
                mismatches.add("unexpected counter '" + shown(name) + "' = " + got);
            }
        });
    }

    /** Returns {distinct firings, replays}. */
    private long[] checkFirings(RawRedis redis, Map<String, Long> expected, Map<String, String> triggerIds) {
        Map<String, Set<String>> distinct = new HashMap<>();
        long total = 0;
        for (int p = 0; p < partitions; p++) {
            for (Object entry : (List<?>) redis.call("XRANGE", keys.firings(p), "-", "+")) {
                Map<String, String> f = new HashMap<>();
                for (String[] kv : RawRedis.pairs(((List<?>) entry).get(1))) {
                    f.put(kv[0], kv[1]);
                }
                distinct.computeIfAbsent(f.get("trigger"), t -> new HashSet<>()).add(f.get("firing_id"));
                total++;
            }
        }
        long unique = 0;
        Set<String> known = new HashSet<>();
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            String id = triggerIds.get(e.getKey());
            known.add(id);
            long got = distinct.getOrDefault(id, Set.of()).size();
            unique += got;
            if (got != e.getValue()) {
                mismatches.add("trigger " + e.getKey() + " (" + id + ") fired " + got + " times, expected " + e.getValue());
            }
        }
        distinct.forEach((id, ids) -> {
            if (!known.contains(id)) {
                mismatches.add("firings of an unknown trigger " + id + ": " + ids.size());
            }
        });
        return new long[]{unique, total - unique};
    }

    /** Every 1m bucket of the windowed counters; no bucket years ahead; the far-future entry counted once. */
    private long checkBuckets(RawRedis redis, Expected expected) {
        long now = System.currentTimeMillis();
        Map<String, Long> actual = new TreeMap<>();
        long futureSum = 0;
        for (int p = 0; p < partitions; p++) {
            String prefix = keys.seriesPrefix(p) + ValidTraffic.WINDOW + ":";
            for (String key : redis.keys(prefix + "*")) {
                long start = Long.parseLong(key.substring(prefix.length()));
                if (start > now + FUTURE_SLACK_MS) {
                    mismatches.add("series bucket " + key + " starts " + (start - now) / 86_400_000 + " days ahead of now");
                }
                for (String[] kv : RawRedis.pairs(redis.call("HGETALL", key))) {
                    if (kv[0].equals(expected.futureCounter())) {
                        futureSum += Long.parseLong(kv[1]);
                    } else if (expected.windowedCounters().contains(kv[0])) {
                        actual.put(ValidTraffic.bucketKey(kv[0], start), Long.parseLong(kv[1]));
                    }
                }
            }
        }
        expected.buckets().forEach((bucket, want) -> {
            long got = actual.getOrDefault(bucket, 0L);
            if (got != want) {
                mismatches.add("series bucket " + bucket + " = " + got + ", expected " + want);
            }
        });
        actual.forEach((bucket, got) -> {
            if (!expected.buckets().containsKey(bucket) && got != 0) {
                mismatches.add("unexpected series bucket " + bucket + " = " + got);
            }
        });
        if (expected.futureCounter() != null && futureSum != 3) {
            mismatches.add("the far-future entry counts " + futureSum + " in its 1m buckets, expected 3");
        }
        return actual.size();
    }

    /** HyperLogLog counts are estimates: within 2 % (at least 2) of the distinct members sent. */
    private void checkUniques(RawRedis redis, Map<String, Integer> uniques) {
        Partitioner partitioner = new Partitioner(partitions);
        uniques.forEach((counter, want) -> {
            long got = (Long) redis.call("PFCOUNT", keys.hll(partitioner.partitionOf(counter), counter));
            if (Math.abs(got - want) > Math.max(2, want / 50)) {
                mismatches.add("unique count of " + counter + " = " + got + ", expected about " + want);
            }
        });
    }

    private static String shown(String s) {
        String t = s.length() > 60 ? s.substring(0, 60) + "... (" + s.length() + " chars)" : s;
        return t.replaceAll("\\p{Cntrl}", "?");
    }
}
