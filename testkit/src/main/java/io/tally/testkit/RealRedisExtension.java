package io.tally.testkit;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;

/**
 * Gives each test class a real Redis of its own, in this order of preference:
 * <ol>
 *   <li>{@code TALLY_TEST_REDIS_URL}, when set (tests use unique namespaces and touch nothing else);</li>
 *   <li>a {@code redis-server} process started on a free port in a temporary folder;</li>
 *   <li>a Testcontainers {@code redis:7.0} container when a Docker engine is reachable.</li>
 * </ol>
 * Inject it as a {@link TestRedis} parameter of a test, constructor or lifecycle method.
 */
public final class RealRedisExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(RealRedisExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getStore(NS).put("redis", start());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        TestRedis redis = context.getStore(NS).remove("redis", TestRedis.class);
        if (redis != null) {
            redis.close();
        }
    }

    static TestRedis start() {
        String external = System.getenv("TALLY_TEST_REDIS_URL");
        if (external != null && !external.isBlank()) {
            return new TestRedis(external, null, () -> { });
        }
        if (RedisServer.available()) {
            RedisServer server = RedisServer.start();
            return new TestRedis(server.url(), server, server::close);
        }
        if (dockerAvailable()) {
            GenericContainer<?> container = new GenericContainer<>("redis:7.0")
                    .withCommand("redis-server", "--save", "", "--maxmemory-policy", "noeviction")
                    .withExposedPorts(6379);
            container.start();
            return new TestRedis("redis://" + container.getHost() + ":" + container.getMappedPort(6379), null, container::stop);
        }
        throw new IllegalStateException("No Redis for tests: install redis-server (apt-get install redis-server), "
                + "start Docker, or set TALLY_TEST_REDIS_URL");
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable e) {
            return false;
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == TestRedis.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return extensionContext.getStore(NS).get("redis", TestRedis.class);
    }
}
