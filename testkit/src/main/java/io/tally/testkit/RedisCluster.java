package io.tally.testkit;

import io.tally.common.config.RedisMode;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import org.redisson.api.RedissonClient;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real local Redis Cluster of the test's own: 3 masters with 1 replica each (or as many as asked),
 * {@code redis-server}
 * processes on free ports (cluster bus on a second free port, {@code nodes.conf} in each node's temp
 * folder), joined with {@code redis-cli --cluster create}. The node timeout is short (1 s) so that a
 * killed master's replica is promoted within a few seconds.
 */
public final class RedisCluster implements AutoCloseable {
    private RedissonClient admin;
    /** Cluster node timeout, ms: how long a silent master stays a master. */
    public static final int NODE_TIMEOUT_MS = 1000;
    private final List<RedisServer> nodes;
    private final int masters;
    private final int replicas;

    private RedisCluster(List<RedisServer> nodes, int masters, int replicas) {
        this.nodes = nodes;
        this.masters = masters;
        this.replicas = replicas;
    }

    /** Starts six nodes, creates the cluster and waits until every node reports {@code cluster_state:ok}. */
    public static RedisCluster start(String... extraArgs) {
        return start(3, 1, extraArgs);
    }

    /**
     * Starts {@code masters} masters with {@code replicas} replicas each (at least 3 masters, as
     * {@code redis-cli --cluster create} requires) and creates the cluster.
     */
    public static RedisCluster start(int masters, int replicas, String... extraArgs) {
        List<RedisServer> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < masters * (1 + replicas); i++) {
                nodes.add(RedisServer.onFreePorts(() -> startNode(extraArgs)));
            }
            RedisCluster cluster = new RedisCluster(nodes, masters, replicas);
            cluster.create();
            return cluster;
        } catch (RuntimeException e) {
            nodes.forEach(RedisServer::close);
            throw e;
        }
    }

    private static RedisServer startNode(String... extraArgs) {
        int port = RedisServer.freePort();
        int busPort = RedisServer.freePort();
        List<String> args = new ArrayList<>(List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-port", Integer.toString(busPort), "--cluster-node-timeout", Integer.toString(NODE_TIMEOUT_MS),
                // a replica may take over even if its link to the master was briefly down before the kill
                "--cluster-replica-validity-factor", "0"));
        args.addAll(List.of(extraArgs));
        return RedisServer.startOnPort(port, args.toArray(String[]::new));
    }

    private void create() {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        nodes.forEach(n -> cmd.add("127.0.0.1:" + n.port()));
        cmd.addAll(List.of("--cluster-replicas", Integer.toString(replicas), "--cluster-yes"));
        String out = RedisServer.run(cmd);
        if (!out.contains("All 16384 slots covered")) {
            throw new IllegalStateException("redis-cli --cluster create failed:\n" + out);
        }
        awaitHealthy(30);
    }

    /** Waits until every running node says {@code cluster_state:ok}, knows all slots and every replica is in sync. */
    public void awaitHealthy(int seconds) {
        Poll.await(this::unhealthy, seconds, "cluster not healthy");
    }

    private String unhealthy() {
        for (RedisServer n : running()) {
            String info = n.cli("CLUSTER", "INFO");
            if (!info.contains("cluster_state:ok")) {
                return n.port() + ": " + info.lines().findFirst().orElse("");
            }
            List<Node> view = nodes(n);
            long liveMasters = view.stream().filter(v -> v.master() && !v.failed() && v.slots() > 0).count();
            if (liveMasters != masters) {
                return n.port() + " sees " + liveMasters + " masters with slots";
            }
            String repl = n.cli("INFO", "replication");
            if (repl.contains("role:slave") && !repl.contains("master_link_status:up")) {
                return n.port() + ": replica link down";
            }
        }
        return null;
    }

    /** Comma-separated seed URLs of all nodes, as {@code --redis-url} takes them in cluster mode. */
    public String seedUrls() {
        return nodes.stream().map(RedisServer::url).collect(Collectors.joining(","));
    }

    /**
     * Configuration in cluster mode with a fresh namespace that exists (as after {@code tally init}):
     * producers only open an existing namespace.
     */
    public TallyConfig.Builder config(int partitions) {
        TallyConfig.Builder builder = TallyConfig.builder()
                .set(TallyConfig.REDIS_URL, seedUrls())
                .set(TallyConfig.REDIS_MODE, RedisMode.CLUSTER)
                .set(TallyConfig.NAMESPACE, TestRedis.uniqueNamespace())
                .set(TallyConfig.PARTITIONS, partitions);
        RedissonClient admin = client();
        try {
            Namespace.create(admin, builder.build());
        } finally {
            admin.shutdown();
        }
        return builder;
    }

    /** A Redisson client in cluster mode (closed by the caller). */
    /** A new Redisson client of the cluster; the caller shuts it down. */
    public RedissonClient client() {
        return RedisClientFactory.create(TallyConfig.builder().set(TallyConfig.REDIS_URL, seedUrls())
                .set(TallyConfig.REDIS_MODE, RedisMode.CLUSTER).build());
    }

    /** The cluster's shared Redisson client for tests to look with, shut down by {@link #close()}. */
    public synchronized RedissonClient admin() {
        if (admin == null) {
            admin = client();
        }
        return admin;
    }

    public List<RedisServer> nodes() {
        return List.copyOf(nodes);
    }

    /** Hash slot of a key, as the cluster computes it (CLUSTER KEYSLOT). */
    public int keySlot(String key) {
        return Integer.parseInt(anyRunning().cli("CLUSTER", "KEYSLOT", key).trim());
    }

    /** The running master that serves a slot now. */
    public RedisServer masterOf(int slot) {
        for (Node node : nodes(anyRunning())) {
            if (node.master() && !node.failed() && node.serves(slot)) {
                return byPort(node.port()).filter(RedisServer::isRunning)
                        .orElseThrow(() -> new IllegalStateException("master of slot " + slot + " is not running"));
            }
        }
        throw new IllegalStateException("no live master serves slot " + slot);
    }

    /** Running masters by port. */
    public List<RedisServer> masters() {
        List<RedisServer> masters = new ArrayList<>();
        for (Node node : nodes(anyRunning())) {
            if (node.master() && !node.failed() && node.slots() > 0) {
                byPort(node.port()).filter(RedisServer::isRunning).ifPresent(masters::add);
            }
        }
        return masters;
    }

    /**
     * SIGKILLs the master of a slot and waits until its replica is promoted and the cluster is ok again.
     *
     * @return the killed node (restart it with {@link #rejoin(RedisServer)})
     */
    public RedisServer killMasterOf(int slot, int timeoutSeconds) {
        RedisServer master = masterOf(slot);
        master.kill();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (System.nanoTime() < deadline) {
            try {
                if (masterOf(slot) != master && unhealthy() == null) {
                    return master;
                }
            } catch (IllegalStateException notYet) {
                // the slot has no live master until the replica wins the election
            }
            RedisServer.sleep(100);
        }
        throw new IllegalStateException("replica of killed master " + master.port() + " not promoted within "
                + timeoutSeconds + " s");
    }

    /** Starts a killed node again on its port and folder; it rejoins as a replica of its successor. */
    public void rejoin(RedisServer node) {
        node.restart();
        awaitHealthy(30);
    }

    /**
     * Moves a slot and its keys to another master as {@code redis-cli --cluster reshard} does: IMPORTING
     * on the target, MIGRATING on the source, MIGRATE of its keys in batches, then SETSLOT NODE on every
     * master. Clients meanwhile get ASK or TRYAGAIN from the source, and MOVED once it is done.
     */
    public void migrateSlot(int slot, RedisServer target) {
        RedisServer source = masterOf(slot);
        if (source == target) {
            throw new IllegalArgumentException("slot " + slot + " is on " + target.port() + " already");
        }
        String sourceId = source.cli("CLUSTER", "MYID").trim();
        String targetId = target.cli("CLUSTER", "MYID").trim();
        String s = Integer.toString(slot);
        expectOk(target.cli("CLUSTER", "SETSLOT", s, "IMPORTING", sourceId));
        expectOk(source.cli("CLUSTER", "SETSLOT", s, "MIGRATING", targetId));
        while (true) {
            String keys = source.cli("CLUSTER", "GETKEYSINSLOT", s, "100");
            if (keys.isBlank()) {
                break;
            }
            List<String> cmd = new ArrayList<>(List.of("MIGRATE", "127.0.0.1", Integer.toString(target.port()), "", "0",
                    "10000", "KEYS"));
            cmd.addAll(keys.lines().map(String::trim).filter(k -> !k.isEmpty()).toList());
            String reply = source.cli(cmd.toArray(String[]::new));
            if (!reply.equals("OK") && !reply.equals("NOKEY")) {
                throw new IllegalStateException("MIGRATE of slot " + slot + " failed: " + reply);
            }
        }
        expectOk(target.cli("CLUSTER", "SETSLOT", s, "NODE", targetId));
        expectOk(source.cli("CLUSTER", "SETSLOT", s, "NODE", targetId));
        for (RedisServer m : masters()) {
            if (m != source && m != target) {
                expectOk(m.cli("CLUSTER", "SETSLOT", s, "NODE", targetId));
            }
        }
    }

    private static void expectOk(String reply) {
        if (!reply.equals("OK")) {
            throw new IllegalStateException("cluster command failed: " + reply);
        }
    }

    /** Partition index -> port of the master that serves the partition's keys now. */
    public Map<Integer, Integer> partitionMasters(Keys keys, int partitions) {
        Map<Integer, Integer> out = new TreeMap<>();
        for (int p = 0; p < partitions; p++) {
            out.put(p, masterOf(keySlot(keys.ops(p))).port());
        }
        return out;
    }

    /** Slot ranges ({@code [first, last]}) of each running master, by port. */
    public Map<Integer, List<int[]>> masterSlotRanges() {
        Map<Integer, List<int[]>> out = new TreeMap<>();
        for (Node node : nodes(anyRunning())) {
            if (node.master() && !node.failed() && node.slots() > 0) {
                out.put(node.port(), node.ranges());
            }
        }
        return out;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (admin != null) {
                admin.shutdown();
                admin = null;
            }
        }
        nodes.forEach(RedisServer::close);
    }

    private List<RedisServer> running() {
        return nodes.stream().filter(RedisServer::isRunning).toList();
    }

    private RedisServer anyRunning() {
        return running().stream().findFirst().orElseThrow(() -> new IllegalStateException("no cluster node running"));
    }

    private Optional<RedisServer> byPort(int port) {
        return nodes.stream().filter(n -> n.port() == port).findFirst();
    }

    private static List<Node> nodes(RedisServer from) {
        List<Node> out = new ArrayList<>();
        for (String line : from.cli("CLUSTER", "NODES").split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length < 8) {
                continue;
            }
            String addr = f[1];
            int port = Integer.parseInt(addr.substring(addr.lastIndexOf(':') + 1, addr.indexOf('@')));
            List<int[]> ranges = new ArrayList<>();
            for (int i = 8; i < f.length; i++) {
                if (f[i].startsWith("[")) {
                    continue; // slot in migration
                }
                String[] r = f[i].split("-");
                int lo = Integer.parseInt(r[0]);
                ranges.add(new int[] {lo, r.length > 1 ? Integer.parseInt(r[1]) : lo});
            }
            out.add(new Node(port, f[2].contains("master"), f[2].contains("fail") && !f[2].contains("fail?"), ranges));
        }
        return out;
    }

    private record Node(int port, boolean master, boolean failed, List<int[]> ranges) {
        boolean serves(int slot) {
            return ranges.stream().anyMatch(r -> slot >= r[0] && slot <= r[1]);
        }

        int slots() {
            return ranges.stream().mapToInt(r -> r[1] - r[0] + 1).sum();
        }
    }
}
