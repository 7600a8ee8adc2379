package io.tally.common.internal.redis;

import io.tally.common.config.ConfigException;
import io.tally.common.config.TallyConfig;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.api.redisnode.RedisNode;
import org.redisson.api.redisnode.RedisNodes;
import org.redisson.client.codec.StringCodec;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A Redis server version ({@code redis_version} of {@code INFO server}) and the start-up check that
 * refuses a Redis too old for Tally. The floor is 7.0: the producer claims a dedupe key with
 * {@code SET NX PX GET} (NX with GET came in 7.0; namespaces with a key per operation id), and {@code tally repair stream-ids} sets a group's
 * {@code ENTRIESREAD} (7.0). Lag is read from {@code XINFO GROUPS}' {@code lag} field (7.0); where a
 * server cannot count it the scripts fall back to the stream length, an upper bound. Valkey reports a
 * {@code redis_version} of 7.2.x for compatibility, so it passes the same check.
 */
public record RedisVersion(int major, int minor, int patch) implements Comparable<RedisVersion> {
    /** The oldest Redis Tally runs on. */
    public static final RedisVersion MINIMUM = new RedisVersion(7, 0, 0);
    /** The commands that set {@link #MINIMUM}, named in the refusal. */
    static final String NEEDED_FOR = "SET NX GET, XINFO GROUPS lag";
    private static final LuaScript SERVER_VERSION = LuaScript.resource("server_version");

    /**
     * Parses {@code major.minor[.patch]}; anything after the numbers (a {@code -rc1} suffix) is ignored.
     *
     * @throws IllegalArgumentException when the text does not start with {@code major.minor}
     */
    public static RedisVersion parse(String text) {
        String[] parts = text.strip().split("\\.", 3);
        if (parts.length < 2) {
            throw new IllegalArgumentException("not a Redis version: '" + text + "'");
        }
        return new RedisVersion(number(parts[0], text), number(parts[1], text),
                parts.length == 3 ? number(parts[2], text) : 0);
    }

    private static int number(String part, String text) {
        int end = 0;
        while (end < part.length() && end < 9 && Character.isDigit(part.charAt(end))) {
            end++;
        }
        if (end == 0) {
            throw new IllegalArgumentException("not a Redis version: '" + text + "'");
        }
        return Integer.parseInt(part.substring(0, end));
    }

    public boolean atLeast(int major, int minor) {
        return compareTo(new RedisVersion(major, minor, 0)) >= 0;
    }

    @Override
    public int compareTo(RedisVersion other) {
        int c = Integer.compare(major, other.major);
        if (c == 0) {
            c = Integer.compare(minor, other.minor);
        }
        return c != 0 ? c : Integer.compare(patch, other.patch);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch;
    }

    /**
     * Why Tally refuses the Redis at {@code address} reporting {@code reported} as its
     * {@code redis_version}, or null when it is new enough.
     */
    public static String refusal(String reported, String address) {
        RedisVersion version;
        try {
            version = parse(reported);
        } catch (IllegalArgumentException e) {
            return "Redis at " + address + " reports redis_version '" + reported + "': Tally needs Redis "
                    + MINIMUM.major + "." + MINIMUM.minor + " or newer (" + NEEDED_FOR + "); check the server";
        }
        if (version.compareTo(MINIMUM) >= 0) {
            return null;
        }
        return "Redis " + reported + " at " + address + ": Tally needs Redis " + MINIMUM.major + "." + MINIMUM.minor
                + " or newer (" + NEEDED_FOR + "); upgrade Redis";
    }

    /**
     * Reads {@code INFO server} of every master once and refuses, naming the first one too old. For
     * processors, whose ACL line has {@code info}.
     *
     * @throws ConfigException when a master runs a Redis older than {@link #MINIMUM}
     */
    public static void requireSupported(RedissonClient redis, TallyConfig config) {
        String scheme = config.redisUrl().strip().startsWith("rediss://") ? "rediss://" : "redis://";
        Collection<? extends RedisNode> masters = switch (config.get(TallyConfig.REDIS_MODE)) {
            case STANDALONE -> List.of(redis.getRedisNodes(RedisNodes.SINGLE).getInstance());
            case CLUSTER -> redis.getRedisNodes(RedisNodes.CLUSTER).getMasters();
            case SENTINEL -> List.of(redis.getRedisNodes(RedisNodes.SENTINEL_MASTER_SLAVE).getMaster());
        };
        for (RedisNode node : masters) {
            requireSupported(node.info(RedisNode.InfoSection.SERVER), scheme + address(node.getAddr()));
        }
    }

    /** Refuses the server at {@code address} whose {@code INFO server} fields are {@code info}. */
    static void requireSupported(Map<String, String> info, String address) {
        String refusal = refusal(String.valueOf(info.get("redis_version")), address);
        if (refusal != null) {
            throw new ConfigException(refusal);
        }
    }

    /**
     * As {@link #requireSupported(RedissonClient, TallyConfig)} for a user that may not run INFO (the
     * producer's ACL line): asks the master of every partition of {@code ns}, in one batch of a script
     * that returns Lua's {@code redis.REDIS_VERSION} (there from Redis 7.0 on, so an older server
     * answers with nothing).
     *
     * @throws ConfigException when a partition's master runs a Redis older than {@link #MINIMUM}
     */
    public static void requireSupported(RedissonClient redis, Namespace ns, TallyConfig config) {
        SERVER_VERSION.load(redis);
        RBatch batch = redis.createBatch();
        List<RFuture<String>> replies = new ArrayList<>(ns.partitions());
        for (int p = 0; p < ns.partitions(); p++) {
            replies.add(SERVER_VERSION.evalAsync(batch.getScript(StringCodec.INSTANCE), RScript.ReturnType.VALUE,
                    List.of(ns.keys().ops(p))));
        }
        batch.execute();
        for (int p = 0; p < replies.size(); p++) {
            String reported = replies.get(p).toCompletableFuture().join();
            String refusal = refusalOfScript(reported, config.redisUrl() + " (the master of partition " + p + ")");
            if (refusal != null) {
                throw new ConfigException(refusal);
            }
        }
    }

    /** As {@link #refusal} for the server version script's reply: empty (or null) from a Redis before 7.0. */
    static String refusalOfScript(String reported, String address) {
        if (reported == null || reported.isEmpty()) {
            return "Redis older than " + MINIMUM.major + "." + MINIMUM.minor + " at " + address + ": Tally needs Redis "
                    + MINIMUM.major + "." + MINIMUM.minor + " or newer (" + NEEDED_FOR + "); upgrade Redis";
        }
        return refusal(reported, address);
    }

    private static String address(InetSocketAddress addr) {
        return addr.getHostString() + ":" + addr.getPort();
    }
}
