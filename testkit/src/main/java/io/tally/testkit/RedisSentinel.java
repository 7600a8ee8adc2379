package io.tally.testkit;

import io.tally.common.config.RedisMode;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import org.redisson.api.RedissonClient;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real local Redis Sentinel deployment of the test's own: one master and one replica, and three
 * sentinels watching the master as {@value #MASTER_NAME} with quorum 2, all {@code redis-server}
 * processes on free ports (a sentinel is {@code redis-server <conf> --sentinel}, its config file in
 * its temporary folder, where it rewrites it). A master silent for {@value #DOWN_AFTER_MS} ms is down,
 * so a killed master's replica is promoted within a few seconds. A replica syncs as soon as it connects
 * ({@code repl-diskless-sync-delay 0}, not Redis's 5 s): until it has, it is empty, and the sentinels,
 * taking a busy new master for down, may promote it all the same, which drops every key.
 */
public final class RedisSentinel implements AutoCloseable {
    /** The master name the sentinels watch, as {@code redis-sentinel-master} names it. */
    public static final String MASTER_NAME = "tally-m";
    /** How long a silent master stays up in the sentinels' view, ms. */
    public static final int DOWN_AFTER_MS = 2000;
    private static final int QUORUM = 2;
    private static final int SENTINELS = 3;
    private final List<RedisServer> dataNodes;
    private final List<RedisServer> sentinels;

    private RedisSentinel(List<RedisServer> dataNodes, List<RedisServer> sentinels) {
        this.dataNodes = dataNodes;
        this.sentinels = sentinels;
    }

    /**
     * Starts the master, its replica and the sentinels, and waits until every sentinel knows the
     * replica and the other sentinels: only then can they agree that the master is down.
     *
     * @param extraArgs further redis-server flags of the master and the replica
     */
    public static RedisSentinel start(String... extraArgs) {
        List<RedisServer> dataNodes = new ArrayList<>();
        List<RedisServer> sentinels = new ArrayList<>();
        try {
            List<String> args = new ArrayList<>(List.of("--repl-diskless-sync-delay", "0"));
            args.addAll(List.of(extraArgs));
            RedisServer master = RedisServer.start(args.toArray(String[]::new));
            dataNodes.add(master);
            args.addAll(List.of("--replicaof", "127.0.0.1", Integer.toString(master.port())));
            dataNodes.add(RedisServer.start(args.toArray(String[]::new)));
            String config = String.join("\n",
                    "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + master.port() + " " + QUORUM,
                    "sentinel down-after-milliseconds " + MASTER_NAME + " " + DOWN_AFTER_MS,
                    "sentinel failover-timeout " + MASTER_NAME + " 10000", "");
            for (int i = 0; i < SENTINELS; i++) {
                sentinels.add(RedisServer.startWithConfigFile(config, "--sentinel"));
            }
            RedisSentinel deployment = new RedisSentinel(dataNodes, sentinels);
            deployment.awaitHealthy(30);
            return deployment;
        } catch (RuntimeException e) {
            sentinels.forEach(RedisServer::close);
            dataNodes.forEach(RedisServer::close);
            throw e;
        }
    }

    /** Comma-separated URLs of the sentinels, as {@code --redis-url} takes them in sentinel mode. */
    public String sentinelUrls() {
        return sentinels.stream().map(RedisServer::url).collect(Collectors.joining(","));
    }

    /**
     * Configuration in sentinel mode with a fresh namespace that exists (as after {@code tally init}):
     * producers only open an existing namespace.
     */
    public TallyConfig.Builder config(int partitions) {
        TallyConfig.Builder builder = TallyConfig.builder()
                .set(TallyConfig.REDIS_URL, sentinelUrls())
                .set(TallyConfig.REDIS_MODE, RedisMode.SENTINEL)
                .set(TallyConfig.REDIS_SENTINEL_MASTER, MASTER_NAME)
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

    /** A new Redisson client in sentinel mode; the caller shuts it down. */
    public RedissonClient client() {
        return RedisClientFactory.create(TallyConfig.builder().set(TallyConfig.REDIS_URL, sentinelUrls())
                .set(TallyConfig.REDIS_MODE, RedisMode.SENTINEL)
                .set(TallyConfig.REDIS_SENTINEL_MASTER, MASTER_NAME).build());
    }

    /** The master as the first running sentinel names it now. */
    public RedisServer master() {
        int port = masterPortSeenBy(running(sentinels).get(0));
        return dataNodes.stream().filter(n -> n.port() == port).findFirst()
                .orElseThrow(() -> new IllegalStateException("the sentinels name master port " + port
                        + ", not one of this deployment's servers"));
    }

    /** The master and the replica (whichever is which now). */
    public List<RedisServer> dataNodes() {
        return List.copyOf(dataNodes);
    }

    public List<RedisServer> sentinels() {
        return List.copyOf(sentinels);
    }

    /**
     * {@code SENTINEL FAILOVER}: one sentinel promotes the replica without asking the others (the old
     * master stays up and is turned into the new master's replica). Waits until every sentinel names
     * the new master and the old one replicates from it.
     *
     * @return the new master
     */
    public RedisServer failover(int timeoutSeconds) {
        RedisServer old = master();
        String reply = running(sentinels).get(0).cli("SENTINEL", "FAILOVER", MASTER_NAME);
        if (!reply.equals("OK")) {
            throw new IllegalStateException("SENTINEL FAILOVER " + MASTER_NAME + " refused: " + reply);
        }
        awaitMasterOtherThan(old, timeoutSeconds);
        awaitHealthy(timeoutSeconds);
        return master();
    }

    /**
     * SIGKILLs the master and waits until every sentinel names its replica as the new master.
     *
     * @return the killed server (start it again with {@link #rejoin(RedisServer)})
     */
    public RedisServer killMaster(int timeoutSeconds) {
        RedisServer master = master();
        master.kill();
        awaitMasterOtherThan(master, timeoutSeconds);
        return master;
    }

    /**
     * Starts a killed server again as the master's replica (as the sentinels would turn it into, some
     * seconds later) and waits until it is in sync.
     */
    public void rejoin(RedisServer node) {
        node.restart();
        node.cli("REPLICAOF", "127.0.0.1", Integer.toString(master().port()));
        awaitHealthy(30);
    }

    /**
     * Waits until every running sentinel names the same running master, which says it is one, every
     * other running server replicates from it with its link up, and every sentinel knows a replica and
     * the other sentinels.
     */
    public void awaitHealthy(int seconds) {
        Poll.await(this::unhealthy, seconds, "sentinel deployment not healthy");
    }

    private void awaitMasterOtherThan(RedisServer old, int timeoutSeconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (System.nanoTime() < deadline) {
            if (running(sentinels).stream().allMatch(s -> masterPortSeenBy(s) != old.port())) {
                return;
            }
            RedisServer.sleep(50);
        }
        throw new IllegalStateException("the sentinels still name master " + old.port() + " after " + timeoutSeconds
                + " s");
    }

    private String unhealthy() {
        int masterPort = -1;
        for (RedisServer s : running(sentinels)) {
            String view = s.cli("SENTINEL", "MASTER", MASTER_NAME);
            int port = masterPortSeenBy(s);
            if (masterPort != -1 && port != masterPort) {
                return "sentinels disagree on the master: " + masterPort + " and " + port;
            }
            masterPort = port;
            if (!field(view, "flags").equals("master") || Integer.parseInt(field(view, "num-slaves")) < 1
                    || Integer.parseInt(field(view, "num-other-sentinels")) != SENTINELS - 1) {
                return "sentinel " + s.port() + " sees " + view.replace('\n', ' ');
            }
        }
        for (RedisServer n : running(dataNodes)) {
            String repl = n.cli("INFO", "replication");
            if (n.port() == masterPort ? !repl.contains("role:master")
                    : !repl.contains("role:slave") || !repl.contains("master_port:" + masterPort)
                    || !repl.contains("master_link_status:up")) {
                return n.port() + " (master " + masterPort + "): " + repl.replace('\n', ' ');
            }
        }
        return null;
    }

    private static int masterPortSeenBy(RedisServer sentinel) {
        String[] reply = sentinel.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME).split("\n");
        if (reply.length != 2) {
            throw new IllegalStateException("sentinel " + sentinel.port() + " names no master: "
                    + String.join(" ", reply));
        }
        return Integer.parseInt(reply[1].trim());
    }

    /** The value after a field's name in a reply redis-cli prints one item per line. */
    private static String field(String reply, String name) {
        List<String> lines = reply.lines().map(String::trim).toList();
        int i = lines.indexOf(name);
        return i < 0 || i + 1 >= lines.size() ? "" : lines.get(i + 1);
    }

    private static List<RedisServer> running(List<RedisServer> servers) {
        List<RedisServer> out = servers.stream().filter(RedisServer::isRunning).toList();
        if (out.isEmpty()) {
            throw new IllegalStateException("none of " + servers.size() + " servers is running");
        }
        return out;
    }

    @Override
    public void close() {
        sentinels.forEach(RedisServer::close);
        dataNodes.forEach(RedisServer::close);
    }
}
