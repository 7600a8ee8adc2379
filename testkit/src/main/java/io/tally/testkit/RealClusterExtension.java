package io.tally.testkit;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.redisson.api.RedissonClient;

/**
 * Gives a test class one real three-master Redis Cluster (each master with a replica, see
 * {@link RedisCluster#start()}), stopped with its admin client after the class; it fails loudly without
 * redis-server. Register it on a field, {@code @RegisterExtension static final RealClusterExtension cluster =
 * new RealClusterExtension()}, and use {@link #get()} and {@link #admin()}; or extend the class with it and inject
 * a {@link RedisCluster} parameter into a test or lifecycle method.
 */
public final class RealClusterExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(RealClusterExtension.class);

    private RedisCluster cluster;

    @Override
    public void beforeAll(ExtensionContext context) {
        RedisServer.requireAvailable();
        cluster = RedisCluster.start();
        context.getStore(NS).put("cluster", cluster);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        RedisCluster started = context.getStore(NS).remove("cluster", RedisCluster.class);
        if (started != null) {
            started.close();
        }
    }

    /** The class's cluster, from before its first test. */
    public RedisCluster get() {
        if (cluster == null) {
            throw new IllegalStateException("no cluster yet: RealClusterExtension starts it before the class's first test");
        }
        return cluster;
    }

    /** The cluster's shared client for tests to look with ({@link RedisCluster#admin()}). */
    public RedissonClient admin() {
        return get().admin();
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == RedisCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getStore(NS).get("cluster", RedisCluster.class);
    }
}
