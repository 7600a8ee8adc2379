package io.tally.testkit;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test class one real three-master Redis Cluster (each master with a replica, see
 * {@link RedisCluster#start()}), stopped with its admin client after the class. Inject it as a
 * {@link RedisCluster} parameter of a test or lifecycle method; it fails loudly without redis-server.
 */
public final class RealClusterExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(RealClusterExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        RedisServer.requireAvailable();
        context.getStore(NS).put("cluster", RedisCluster.start());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        RedisCluster cluster = context.getStore(NS).remove("cluster", RedisCluster.class);
        if (cluster != null) {
            cluster.close();
        }
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
