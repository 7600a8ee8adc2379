package io.tally.common.redis;

import io.tally.common.config.ConfigException;
import io.tally.common.config.RedisMode;
import io.tally.common.config.TallyConfig;
import io.tally.common.keys.Keys;
import io.tally.common.keys.Partitioner;
import org.redisson.api.RBatch;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.api.redisnode.RedisNode;
import org.redisson.api.redisnode.RedisNodes;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A namespace as stored in Redis: its fixed partition count and the consumer groups on every
 * partition's streams. Opening it fixes P on first use and refuses a process configured with
 * another P.
 */
public final class Namespace {
    /** P of a new namespace when none is configured. */
    public static final int DEFAULT_PARTITIONS = 16;

    private static final LuaScript META = LuaScript.resource("namespace");
    private static final LuaScript ENSURE_GROUPS = LuaScript.resource("ensure_groups");

    private final Keys keys;
    private final Partitioner partitioner;

    private Namespace(Keys keys, int partitions) {
        this.keys = keys;
        this.partitioner = new Partitioner(partitions);
    }

    /**
     * Resolves P (stored, else configured, else 16) and creates any missing consumer group.
     *
     * @throws ConfigException when the configured P differs from the stored one
     */
    public static Namespace open(RedissonClient redis, TallyConfig config) {
        Keys keys = new Keys(config.namespace());
        int configured = config.partitions();
        String stored = META.eval(redis, RScript.ReturnType.VALUE, List.of(keys.meta()),
                configured > 0 ? configured : DEFAULT_PARTITIONS);
        int partitions = Integer.parseInt(stored);
        if (configured > 0 && configured != partitions) {
            throw new ConfigException("Namespace '" + config.namespace() + "' has " + partitions
                    + " partitions (stored in " + keys.meta() + "), but this process was configured with --partitions "
                    + configured + ". Use --partitions " + partitions + " (or leave it unset), or a new --namespace; "
                    + "changing P needs a migration (see docs/operations.md).");
        }
        Namespace ns = new Namespace(keys, partitions);
        ns.ensureGroups(redis);
        return ns;
    }

    public Keys keys() {
        return keys;
    }

    public Partitioner partitioner() {
        return partitioner;
    }

    public int partitions() {
        return partitioner.partitions();
    }

    private void ensureGroups(RedissonClient redis) {
        ENSURE_GROUPS.load(redis);
        RBatch batch = redis.createBatch();
        for (int p = 0; p < partitions(); p++) {
            List<Object> streams = new ArrayList<>(keys.inputStreams(p));
            ENSURE_GROUPS.evalAsync(batch.getScript(), RScript.ReturnType.LONG, streams, Keys.GROUP);
        }
        batch.execute();
    }

    /**
     * Refuses to run against a Redis that may evict keys: an evicted checkpoint would re-apply work.
     * Reads {@code INFO memory} of every master.
     */
    public static void requireNoEviction(RedissonClient redis, RedisMode mode) {
        Collection<? extends RedisNode> masters = switch (mode) {
            case STANDALONE -> List.of(redis.getRedisNodes(RedisNodes.SINGLE).getInstance());
            case CLUSTER -> redis.getRedisNodes(RedisNodes.CLUSTER).getMasters();
            case SENTINEL -> List.of(redis.getRedisNodes(RedisNodes.SENTINEL_MASTER_SLAVE).getMaster());
        };
        for (RedisNode node : masters) {
            Map<String, String> info = node.info(RedisNode.InfoSection.MEMORY);
            String policy = info.get("maxmemory_policy");
            if (policy != null && !policy.equals("noeviction")) {
                throw new ConfigException("Redis at " + node.getAddr() + " runs with maxmemory-policy " + policy
                        + "; Tally needs noeviction (an evicted checkpoint or counter would be lost or re-applied). "
                        + "Set 'maxmemory-policy noeviction' in redis.conf or with CONFIG SET.");
            }
        }
    }
}
