package io.tally.testkit;

import io.tally.common.config.RedisMode;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import org.redisson.api.RedissonClient;

import java.util.Optional;
import java.util.UUID;

/**
 * The Redis a test class talks to, as given by {@link RealRedisExtension}: its own
 * {@code redis-server} process, a Testcontainers container, or the server named by
 * {@code TALLY_TEST_REDIS_URL}. Each test uses its own namespace, so no test touches keys it did not
 * create even on a shared server.
 */
public final class TestRedis implements AutoCloseable {
    private final String url;
    private final RedisServer server;
    private final Runnable closer;
    private RedissonClient admin;

    TestRedis(String url, RedisServer server, Runnable closer) {
        this.url = url;
        this.server = server;
        this.closer = closer;
    }

    /**
     * Starts a Redis as {@link RealRedisExtension} does, for test engines that do not run Jupiter
     * extensions (jqwik properties); the caller closes it.
     */
    public static TestRedis start() {
        return RealRedisExtension.start();
    }

    /**
     * A redis-server process of the caller's own, whatever Redis the other tests share (for a test that reads
     * server-wide figures such as {@code INFO commandstats}); fails when redis-server is missing. The caller closes it.
     */
    public static TestRedis ownServer() {
        RedisServer server = RedisServer.start();
        return new TestRedis(server.url(), server, server::close);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (admin != null) {
                admin.shutdown();
                admin = null;
            }
        }
        closer.run();
    }

    public String url() {
        return url;
    }

    /** The server process, when this test owns one (absent for an external URL or a container). */
    public Optional<RedisServer> server() {
        return Optional.ofNullable(server);
    }

    /** A namespace no other test uses. */
    public static String uniqueNamespace() {
        return "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    /**
     * Configuration pointing at this Redis with a fresh namespace that exists, with {@code partitions}
     * partitions, as after {@code tally init} or a processor's start: producers, readers and the CLI
     * only open an existing namespace.
     */
    public TallyConfig.Builder config(int partitions) {
        TallyConfig.Builder builder = configWithoutNamespace(partitions);
        Namespace.create(admin(), builder.build());
        return builder;
    }

    /** Configuration pointing at this Redis with a fresh namespace that nothing has created yet. */
    public TallyConfig.Builder configWithoutNamespace(int partitions) {
        return TallyConfig.builder()
                .set(TallyConfig.REDIS_URL, url)
                .set(TallyConfig.NAMESPACE, uniqueNamespace())
                .set(TallyConfig.PARTITIONS, partitions);
    }

    /**
     * The keys of the existing namespace {@code config} names, with the partition tags its meta holds
     * (read over a connection of its own; a cluster or the master behind sentinels through a client of its own).
     */
    public static Keys keys(TallyConfig config) {
        if (config.get(TallyConfig.REDIS_MODE) != RedisMode.STANDALONE) {
            RedissonClient client = RedisClientFactory.create(config);
            try {
                return Namespace.keys(client, config.namespace());
            } finally {
                client.shutdown();
            }
        }
        try (RawRedis raw = new RawRedis(config.redisUrl())) {
            return raw.namespaceKeys(config.namespace());
        }
    }

    /** A client of this test kit's own, for set-up, closed with this Redis. */
    private synchronized RedissonClient admin() {
        if (admin == null) {
            admin = client();
        }
        return admin;
    }

    public RedissonClient client() {
        return RedisClientFactory.create(TallyConfig.builder().set(TallyConfig.REDIS_URL, url).build());
    }
}
