package io.tally.common.internal.redis;

import io.tally.common.NamespaceMissingException;
import io.tally.common.config.ConfigException;
import io.tally.common.config.RedisMode;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.DedupeLayout;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.PartitionTags;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.internal.text.ForeignText;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.api.redisnode.RedisNode;
import org.redisson.api.redisnode.RedisNodes;
import org.redisson.client.RedisException;
import org.redisson.client.codec.StringCodec;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A namespace as stored in Redis: its fixed partition count, the rule of its partitions' hash tags
 * ({@link PartitionTags}), where its operation ids are kept ({@link DedupeLayout}) and the consumer groups
 * on every partition's streams. {@link #create} (processors and {@code tally init}) fixes P, the tag rule
 * and the dedupe layout on first use; {@link #open} and
 * {@link #await} (producers, readers, the CLI, the HTTP service) only find an existing one, so that no
 * writer fixes P on its own after Redis lost its data. Both refuse a process configured with another P,
 * and a tag rule or dedupe layout this version does not know. Every component builds its keys from {@link #keys()}.
 */
public final class Namespace {
    /** P of a new namespace when none is configured. */
    public static final int DEFAULT_PARTITIONS = 16;
    /** Field of {@code <ns>:meta} holding P. */
    public static final String PARTITIONS_FIELD = "partitions";
    /** The most partitions a namespace may have: one per hash slot of a Redis Cluster. */
    public static final int MAX_PARTITIONS = 16384;
    /** Tag rule of new namespaces. */
    public static final String NEW_PARTITION_TAGS = PartitionTags.SPREAD_V1;
    /** Dedupe layout of new namespaces. */
    public static final DedupeLayout NEW_DEDUPE_LAYOUT = DedupeLayout.BUCKETS_V1;
    private static final long AWAIT_POLL_MS = 100;

    private static final LuaScript META = LuaScript.resource("namespace");
    private static final LuaScript RESTORE_META = LuaScript.resource("namespace_restore");
    private static final LuaScript ENSURE_GROUPS = LuaScript.resource("ensure_groups");

    private final Keys keys;
    private final Partitioner partitioner;
    private final DedupeLayout dedupeLayout;

    private Namespace(Keys keys, int partitions, DedupeLayout dedupeLayout) {
        this.keys = keys;
        this.partitioner = new Partitioner(partitions);
        this.dedupeLayout = dedupeLayout;
    }

    /**
     * Creates the namespace when it is new (P configured, else 16; tags {@value #NEW_PARTITION_TAGS}; dedupe
     * layout {@link #NEW_DEDUPE_LAYOUT}) and any missing consumer group. {@code tally init} calls this; a processor
     * calls {@link #createMeta} and makes the groups itself.
     *
     * @throws ConfigException when the configured P differs from the stored one, or the stored tag rule
     *                         is unknown
     */
    public static Namespace create(RedissonClient redis, TallyConfig config) {
        Namespace ns = createMeta(redis, config);
        ns.ensureGroups(redis, allPartitions(ns.partitions()));
        return ns;
    }

    /**
     * {@link #create} without the consumer groups: a processor creates those itself, partition by partition,
     * so that one stream another program made a key of another type stops only its own partition.
     *
     * @throws ConfigException as {@link #create}
     */
    public static Namespace createMeta(RedissonClient redis, TallyConfig config) {
        String meta = Keys.meta(config.namespace());
        int configured = config.partitions();
        List<Object> stored = META.eval(redis, RScript.ReturnType.LIST, List.of(meta),
                configured > 0 ? configured : DEFAULT_PARTITIONS, NEW_PARTITION_TAGS, NEW_DEDUPE_LAYOUT.stored());
        return checked(config, new Meta(storedPartitions((String) stored.get(0), config.namespace()),
                stored.size() > 1 ? (String) stored.get(1) : null, stored.size() > 2 ? (String) stored.get(2) : null));
    }

    /**
     * Opens an existing namespace; creates nothing.
     *
     * @throws NamespaceMissingException when {@code <ns>:meta} does not exist
     * @throws ConfigException           when the configured P differs from the stored one, or the stored
     *                                   tag rule is unknown
     */
    public static Namespace open(RedissonClient redis, TallyConfig config) {
        Meta stored = stored(redis, config.namespace());
        if (stored == null) {
            throw new NamespaceMissingException(config.namespace(), Keys.meta(config.namespace()), config.redisUrl());
        }
        return checked(config, stored);
    }

    /**
     * The keys of an existing namespace, built with the tag rule its meta names: for tools and tests that
     * know the namespace by name only.
     *
     * @throws NamespaceMissingException when {@code <ns>:meta} does not exist
     * @throws ConfigException           when the stored tag rule is unknown
     */
    public static Keys keys(RedissonClient redis, String namespace) {
        Meta stored = stored(redis, namespace);
        if (stored == null) {
            throw new NamespaceMissingException(namespace, Keys.meta(namespace), "the client's Redis");
        }
        return stored.keys(namespace);
    }

    /**
     * As {@link #open}, waiting up to {@code timeoutMs} for a processor or {@code tally init} to
     * create the namespace.
     */
    public static Namespace await(RedissonClient redis, TallyConfig config, long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            try {
                return open(redis, config);
            } catch (NamespaceMissingException e) {
                if (System.nanoTime() >= deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(AWAIT_POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NamespaceMissingException(config.namespace(), Keys.meta(config.namespace()),
                        config.redisUrl());
            }
        }
    }

    /**
     * What {@code <ns>:meta} holds: P, the tag rule ({@link PartitionTags#FIELD}) and the dedupe layout
     * ({@link DedupeLayout#FIELD}), each null when absent.
     *
     * @param partitions    P
     * @param partitionTags the tag rule's name, null for {@code p<i>}
     * @param dedupe        the dedupe layout's name, null for a key per id
     */
    public record Meta(int partitions, String partitionTags, String dedupe) {
        /** Keys of the namespace this meta belongs to; refuses a tag rule this version does not know. */
        public Keys keys(String namespace) {
            return new Keys(namespace, PartitionTags.of(partitionTags, partitions, namespace, Keys.meta(namespace)));
        }

        /** The dedupe layout it names; refuses one this version does not know. */
        public DedupeLayout dedupeLayout(String namespace) {
            return DedupeLayout.of(dedupe, namespace, Keys.meta(namespace));
        }

        /** Whether these are the P, the tag rule and the dedupe layout of {@code ns}. */
        public boolean sameAs(Namespace ns) {
            return partitions == ns.partitions() && Objects.equals(partitionTags, ns.keys().tags().rule())
                    && Objects.equals(dedupe, ns.dedupeLayout().stored());
        }

        @Override
        public String toString() {
            return "partitions=" + partitions + (partitionTags == null ? "" : " " + PartitionTags.FIELD + "=" + partitionTags)
                    + (dedupe == null ? "" : " " + DedupeLayout.FIELD + "=" + dedupe);
        }
    }

    /** What {@code <ns>:meta} holds, or null when the key (or its {@code partitions} field) is missing. */
    public static Meta stored(RedissonClient redis, String namespace) {
        Map<String, String> got = redis.<String, String>getMap(Keys.meta(namespace), StringCodec.INSTANCE)
                .getAll(Set.of(PARTITIONS_FIELD, PartitionTags.FIELD, DedupeLayout.FIELD));
        String partitions = got.get(PARTITIONS_FIELD);
        return partitions == null ? null
                : new Meta(storedPartitions(partitions, namespace), got.get(PartitionTags.FIELD), got.get(DedupeLayout.FIELD));
    }

    /**
     * P as {@code <ns>:meta} holds it, which any program may have written: a count of 2 billion would have
     * every process size its per-partition state to it and run out of memory.
     */
    private static int storedPartitions(String stored, String namespace) {
        if (stored.matches("[1-9][0-9]{0,4}") && Integer.parseInt(stored) <= MAX_PARTITIONS) {
            return Integer.parseInt(stored);
        }
        throw new ConfigException("Namespace '" + namespace + "' has partitions '" + ForeignText.printable(stored, 40)
                + "' (field " + PARTITIONS_FIELD + " of " + Keys.meta(namespace) + "), which is no partition count from 1 "
                + "to " + MAX_PARTITIONS + ": another program wrote it. Set it back to the namespace's P: HSET "
                + Keys.meta(namespace) + " " + PARTITIONS_FIELD + " <P>.");
    }

    private static Namespace checked(TallyConfig config, Meta stored) {
        int configured = config.partitions();
        int partitions = stored.partitions();
        if (configured > 0 && configured != partitions) {
            throw new ConfigException("Namespace '" + config.namespace() + "' has " + partitions
                    + " partitions (stored in " + Keys.meta(config.namespace()) + "), but this process was configured "
                    + "with --partitions " + configured + ". Use --partitions " + partitions + " (or leave it unset), "
                    + "or a new --namespace; changing P needs a migration (see docs/operations.md).");
        }
        return new Namespace(stored.keys(config.namespace()), partitions, stored.dedupeLayout(config.namespace()));
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

    /** Where this namespace's producers keep operation ids. */
    public DedupeLayout dedupeLayout() {
        return dedupeLayout;
    }

    /**
     * Stores this namespace's P, tag rule and dedupe layout in {@code <ns>:meta} whatever is there: a
     * processor restoring the namespace after Redis lost it keeps the P and the keys its partitions were
     * read with, and producers keep finding the ids they write from then on.
     */
    public void restoreMeta(RedissonClient redis) {
        String rule = keys.tags().rule();
        String dedupe = dedupeLayout.stored();
        RESTORE_META.eval(redis, RScript.ReturnType.VALUE, List.of(keys.meta()), partitions(), rule == null ? "" : rule,
                dedupe == null ? "" : dedupe);
    }

    /**
     * Creates the consumer group (at id 0, with MKSTREAM) on each input stream of {@code partitions}
     * that lacks it.
     *
     * @return the streams whose group was missing and was created
     */
    public List<String> ensureGroups(RedissonClient redis, Collection<Integer> partitions) {
        try {
            return ensureGroupsOnce(redis, partitions);
        } catch (RuntimeException e) {
            if (!LuaScript.isNoScript(e)) {
                throw e;
            }
            ENSURE_GROUPS.load(redis); // Redis restarted and forgot its scripts
            return ensureGroupsOnce(redis, partitions);
        }
    }

    private List<String> ensureGroupsOnce(RedissonClient redis, Collection<Integer> partitions) {
        RBatch batch = redis.createBatch();
        List<RFuture<Long>> replies = new ArrayList<>();
        List<Integer> order = new ArrayList<>(partitions);
        for (int p : order) {
            List<Object> streams = new ArrayList<>(keys.inputStreams(p));
            replies.add(ENSURE_GROUPS.evalAsync(batch.getScript(), RScript.ReturnType.LONG, streams, Keys.GROUP));
        }
        batch.execute();
        List<String> created = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            long mask = replies.get(i).toCompletableFuture().join();
            List<String> streams = keys.inputStreams(order.get(i));
            for (int s = 0; s < streams.size(); s++) {
                if ((mask & (1L << s)) != 0) {
                    created.add(streams.get(s));
                }
            }
        }
        return created;
    }

    private static List<Integer> allPartitions(int partitions) {
        List<Integer> all = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            all.add(p);
        }
        return all;
    }

    /**
     * Refuses to run against a Redis that may evict keys: an evicted checkpoint would re-apply work.
     * Reads {@code INFO memory} of every master.
     */
    public static void requireNoEviction(RedissonClient redis, RedisMode mode) {
        String evicting = evictingPolicy(redis, mode);
        if (evicting != null) {
            throw new ConfigException(evicting + "; Tally needs noeviction (an evicted checkpoint or counter would be "
                    + "lost or re-applied). Set 'maxmemory-policy noeviction' in redis.conf or with CONFIG SET.");
        }
    }

    /**
     * Names the first master whose {@code maxmemory-policy} may evict keys ("Redis at host:port runs with
     * maxmemory-policy allkeys-lru"), or null when every master runs with noeviction.
     *
     * @throws RedisException when a master's policy cannot be read, naming that master and Redis's error text
     */
    public static String evictingPolicy(RedissonClient redis, RedisMode mode) {
        Collection<? extends RedisNode> masters = switch (mode) {
            case STANDALONE -> List.of(redis.getRedisNodes(RedisNodes.SINGLE).getInstance());
            case CLUSTER -> redis.getRedisNodes(RedisNodes.CLUSTER).getMasters();
            case SENTINEL -> List.of(redis.getRedisNodes(RedisNodes.SENTINEL_MASTER_SLAVE).getMaster());
        };
        for (RedisNode node : masters) {
            Map<String, String> info;
            try {
                info = node.info(RedisNode.InfoSection.MEMORY);
            } catch (RedisException e) {
                // named here: in a Cluster, which master refused (NOPERM without +info, ...) is what to fix
                throw new RedisException("cannot read maxmemory-policy (INFO memory) of Redis at " + node.getAddr()
                        + ": " + RedisFailures.replyText(e), e);
            }
            String policy = info.get("maxmemory_policy");
            if (policy != null && !policy.equals("noeviction")) {
                return "Redis at " + node.getAddr() + " runs with maxmemory-policy " + policy;
            }
        }
        return null;
    }

    /**
     * True when a Redis error says a consumer group is missing (XREADGROUP, XACK, XAUTOCLAIM): Redis
     * lost the group, and a processor restores it at once instead of retrying into the same error.
     */
    public static boolean isNoGroup(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("NOGROUP")) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
