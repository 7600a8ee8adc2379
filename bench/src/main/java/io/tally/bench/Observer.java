package io.tally.bench;

import io.tally.common.internal.keys.Keys;
import io.tally.testkit.RawRedis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a namespace's state from the bench process with a connection of its own (the test kit's
 * {@link RawRedis}, so that the measuring side shares no client with what it measures): stream
 * progress, backlog, leases, Redis's memory and CPU, and the final counters checked against the
 * expected values.
 */
final class Observer implements AutoCloseable {
    final Keys keys;
    /** The one Redis, or a Cluster's first master (for the single-node statistics of the drain). */
    final RawRedis redis;
    final int partitions;
    /** Each partition's node: the same one for all with a standalone Redis, its slot's master on a Cluster. */
    private final RawRedis[] byPartition;
    private final List<RawRedis> nodes;
    private final boolean cluster;

    Observer(String redisUrl, Keys keys, int partitions) {
        this(java.util.Collections.nCopies(partitions, redisUrl), keys, false);
    }

    /**
     * @param partitionUrls the URL of the node serving each partition (on a Cluster, its slot's master)
     * @param cluster       whether the nodes are a Cluster's masters (keys deleted one by one, no CROSSSLOT)
     */
    Observer(List<String> partitionUrls, Keys keys, boolean cluster) {
        this.keys = keys;
        this.partitions = partitionUrls.size();
        this.cluster = cluster;
        this.byPartition = new RawRedis[partitions];
        Map<String, RawRedis> open = new java.util.LinkedHashMap<>();
        for (int p = 0; p < partitions; p++) {
            byPartition[p] = open.computeIfAbsent(partitionUrls.get(p), RawRedis::new);
        }
        this.nodes = List.copyOf(open.values());
        this.redis = nodes.get(0);
    }

    private RawRedis at(int p) {
        return byPartition[p];
    }

    private void flushAll() {
        nodes.forEach(RawRedis::flush);
    }

    /**
     * Totals over all partitions' ops streams: entries added, entries applied (read by the group
     * and acknowledged), and backlog (group lag + pending).
     */
    record Progress(long nanos, long added, long applied, long backlog) {
    }

    Progress progress() {
        for (int p = 0; p < partitions; p++) {
            at(p).send("XINFO", "STREAM", keys.ops(p));
            at(p).send("XINFO", "GROUPS", keys.ops(p));
        }
        flushAll();
        long added = 0;
        long applied = 0;
        long backlog = 0;
        for (int p = 0; p < partitions; p++) {
            Object stream = at(p).read();
            Object groups = at(p).read();
            if (stream instanceof RawRedis.Error) {
                continue; // not created yet
            }
            long streamAdded = (Long) RawRedis.asMap(stream).get("entries-added");
            added += streamAdded;
            if (groups instanceof List<?> list && !list.isEmpty()) {
                Map<String, Object> g = RawRedis.asMap(list.get(0));
                long pending = (Long) g.get("pending");
                Object read = g.get("entries-read");
                Object lag = g.get("lag");
                long entriesRead = read instanceof Long l ? l : 0;
                long groupLag = lag instanceof Long l ? l : Math.max(0, streamAdded - entriesRead);
                applied += entriesRead - pending;
                backlog += groupLag + pending;
            } else {
                backlog += streamAdded;
            }
        }
        return new Progress(System.nanoTime(), added, applied, backlog);
    }

    /** True when every partition's checkpoint has reached the last id written to its ops stream. */
    boolean drained() {
        for (int p = 0; p < partitions; p++) {
            at(p).send("XINFO", "STREAM", keys.ops(p));
            at(p).send("HGET", keys.checkpoint(p), "ops");
        }
        flushAll();
        boolean done = true;
        for (int p = 0; p < partitions; p++) {
            Object stream = at(p).read();
            Object checkpoint = at(p).read();
            if (stream instanceof RawRedis.Error) {
                continue;
            }
            Map<String, Object> info = RawRedis.asMap(stream);
            if ((Long) info.get("entries-added") > 0
                    && !RawRedis.text(info.get("last-generated-id")).equals(RawRedis.text(checkpoint))) {
                done = false;
            }
        }
        return done;
    }

    /** Waits until drained, failing when a processor exits or after 300 s. */
    void requireDrained(List<Child> procs) {
        long deadline = System.currentTimeMillis() + 300_000;
        while (!drained()) {
            procs.forEach(Child::requireAlive);
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("not drained within 300 s");
            }
            Sleep.ms(20);
        }
    }

    /** Waits until drained; false on timeout. */
    boolean awaitDrained(long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (drained()) {
                return true;
            }
            Sleep.ms(20);
        }
        return false;
    }

    /** Owner (lease value) of each partition, null when free. */
    String[] owners() {
        for (int p = 0; p < partitions; p++) {
            at(p).send("GET", keys.lease(p));
        }
        flushAll();
        String[] owners = new String[partitions];
        for (int p = 0; p < partitions; p++) {
            Object v = at(p).read();
            owners[p] = v instanceof byte[] ? RawRedis.text(v) : null;
        }
        return owners;
    }

    /** True when every partition is leased and every owner's value starts with one of the prefixes. */
    boolean allOwnedBy(String... processorIds) {
        for (String owner : owners()) {
            if (owner == null) {
                return false;
            }
            boolean match = false;
            for (String id : processorIds) {
                match |= owner.startsWith(id + ":");
            }
            if (!match) {
                return false;
            }
        }
        return true;
    }

    /** True when every partition is leased and each given processor holds at least one. */
    boolean balancedOver(String... processorIds) {
        String[] owners = owners();
        Map<String, Integer> count = new HashMap<>();
        for (String owner : owners) {
            if (owner == null) {
                return false;
            }
            count.merge(owner.substring(0, owner.lastIndexOf(':')), 1, Integer::sum);
        }
        for (String id : processorIds) {
            if (!count.containsKey(id)) {
                return false;
            }
        }
        return count.size() == processorIds.length;
    }

    /**
     * Waits until each of {@code ids} holds a partition and nobody else does, failing when a processor
     * exits or after 90 s.
     */
    void awaitBalanced(List<Child> procs, String... ids) {
        long deadline = System.currentTimeMillis() + 90_000;
        while (!balancedOver(ids)) {
            procs.forEach(Child::requireAlive);
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("partitions not leased to " + String.join(", ", ids) + " within 90 s");
            }
            Sleep.ms(20);
        }
    }

    /** Creates the consumer group on every ops stream (for the baselines' own consumers). */
    void createGroups() {
        for (int p = 0; p < partitions; p++) {
            at(p).send("XGROUP", "CREATE", keys.ops(p), Keys.GROUP, "0", "MKSTREAM");
        }
        flushAll();
        for (int p = 0; p < partitions; p++) {
            at(p).read();
        }
    }

    /** Redis's {@code used_memory}, bytes. */
    long usedMemory() {
        return nodes.stream().mapToLong(n -> Long.parseLong(n.info("memory", "used_memory"))).sum();
    }

    /** Redis's CPU time so far (system + user), seconds. */
    double redisCpuSeconds() {
        return nodes.stream().mapToDouble(n -> Double.parseDouble(n.info("cpu", "used_cpu_sys"))
                + Double.parseDouble(n.info("cpu", "used_cpu_user"))).sum();
    }

    /**
     * Compares every counter with the expected values and checks the dead-letter streams are empty.
     * Returns null when exact, else a description of the first differences.
     */
    String verify(long[] expected) {
        for (int p = 0; p < partitions; p++) {
            at(p).send("HGETALL", keys.counters(p));
            at(p).send("XLEN", keys.dlq(p));
        }
        flushAll();
        Map<String, Long> actual = new HashMap<>();
        long deadLetters = 0;
        for (int p = 0; p < partitions; p++) {
            RawRedis.asMap(at(p).read()).forEach((k, v) -> actual.put(k, Long.parseLong(RawRedis.text(v))));
            deadLetters += (Long) at(p).read();
        }
        List<String> diffs = new ArrayList<>();
        for (int i = 0; i < expected.length; i++) {
            long got = actual.getOrDefault(Workload.name(i), 0L);
            if (got != expected[i] && diffs.size() < 5) {
                diffs.add(Workload.name(i) + ": expected " + expected[i] + ", got " + got);
            }
            actual.remove(Workload.name(i));
        }
        if (!actual.isEmpty()) {
            diffs.add("unexpected counters " + actual.keySet().stream().limit(5).toList());
        }
        if (deadLetters > 0) {
            diffs.add(deadLetters + " dead letters");
        }
        return diffs.isEmpty() ? null : String.join("; ", diffs);
    }

    void requireExact(String scenario, long[] expected) {
        String diff = verify(expected);
        if (diff != null) {
            throw new IllegalStateException(scenario + ": counters are not exact: " + diff);
        }
    }

    /** Nodes with a client whose CLIENT SETNAME starts with {@code prefix}, e.g. the processors' {@code tally-hot:}. */
    long nodesWithClient(String prefix) {
        return nodes.stream().filter(n -> RawRedis.text(n.call("CLIENT", "LIST")).contains("name=" + prefix)).count();
    }

    /** Removes the namespace's keys (all of them were created by this bench run). */
    void deleteNamespace() {
        for (RawRedis node : nodes) {
            if (!cluster) {
                node.deletePattern(keys.namespace() + ":*");
                continue;
            }
            List<String> found = node.keys(keys.namespace() + ":*"); // one by one: keys of many slots
            found.forEach(k -> node.send("UNLINK", k));
            node.flush();
            found.forEach(k -> node.read());
        }
    }

    @Override
    public void close() {
        nodes.forEach(RawRedis::close);
    }
}
