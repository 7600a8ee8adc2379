package io.tally.app.service;

import io.tally.common.config.ConfigKey;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.producer.ProducerMetrics;
import io.tally.testkit.RedisServer;
import io.tally.testkit.ReplyCuttingProxy;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamRangeArgs;
import org.redisson.client.codec.StringCodec;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * An {@link ApiServer} on a real Redis for the HTTP tests of a class: a fresh namespace that exists (as after
 * {@code tally init}), a service on 127.0.0.1 and a free port accepting {@link #TOKEN}, and HTTP helpers that send
 * it. Register it as {@code @RegisterExtension static final ApiServerFixture api = ApiServerFixture.onTestRedis(4)}
 * (with {@link #with} for the settings the class needs); it starts before the class's first test and stops after
 * its last.
 */
final class ApiServerFixture implements BeforeAllCallback, AfterAllCallback {
    static final String TOKEN = "api-fixture-token-0123456789abcdef";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final int partitions;
    private final boolean ownRedisServer;
    private boolean proxied;
    private final Map<ConfigKey<?>, Object> settings = new LinkedHashMap<>();
    private LongSupplier rateClock = System::nanoTime;
    private TestRedis testRedis;
    private RedisServer redisServer;
    private ReplyCuttingProxy proxy;
    private RedissonClient redis;
    private TallyConfig config;
    private ApiServer server;
    private Keys keys;

    private ApiServerFixture(int partitions, boolean ownRedisServer) {
        this.partitions = partitions;
        this.ownRedisServer = ownRedisServer;
    }

    /** A service on the Redis that {@code RealRedisExtension} would give (a server, a container or TALLY_TEST_REDIS_URL). */
    static ApiServerFixture onTestRedis(int partitions) {
        return new ApiServerFixture(partitions, false);
    }

    /** A service on a redis-server process of the class's own, which a test may pause, reconfigure or inspect. */
    static ApiServerFixture onOwnRedisServer(int partitions) {
        return new ApiServerFixture(partitions, true);
    }

    /** The service and {@link #redis()} reach the server of {@link #onOwnRedisServer} through a {@link #proxy()}. */
    ApiServerFixture throughProxy() {
        proxied = true;
        return this;
    }

    /** Sets a key of the service's configuration (before the class starts). */
    <T> ApiServerFixture with(ConfigKey<T> key, T value) {
        settings.put(key, value);
        return this;
    }

    /** The clock that fills the tokens' buckets of operations (api-max-ops-per-second-per-token), in nanoseconds. */
    ApiServerFixture withRateClock(LongSupplier nanoClock) {
        this.rateClock = nanoClock;
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        String url;
        if (ownRedisServer) {
            redisServer = RedisServer.start();
            url = redisServer.url();
            if (proxied) {
                proxy = ReplyCuttingProxy.start(redisServer.port());
                url = proxy.url();
            }
        } else {
            testRedis = TestRedis.start();
            url = testRedis.url();
        }
        TallyConfig.Builder builder = TallyConfig.builder().set(TallyConfig.REDIS_URL, url)
                .set(TallyConfig.NAMESPACE, TestRedis.uniqueNamespace()).set(TallyConfig.PARTITIONS, partitions)
                .set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1").set(TallyConfig.API_TOKENS, TOKEN);
        settings.forEach(builder::set);
        config = builder.build();
        redis = RedisClientFactory.create(config);
        Namespace.create(redis, config); // as `tally init` would
        keys = TestRedis.keys(config);
        server = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP, ServiceMetrics.newRegistry(),
                rateClock);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (server != null) {
            server.close();
        }
        if (redis != null) {
            redis.shutdown();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (redisServer != null) {
            redisServer.close();
        }
        if (testRedis != null) {
            testRedis.close();
        }
    }

    ApiServer server() {
        return server;
    }

    int port() {
        return server.port();
    }

    /** The Redis client the service runs on (its configuration's timeouts). */
    RedissonClient redis() {
        return redis;
    }

    /** The Redis of {@link #onTestRedis}, for a service of a test's own beside this one (in a namespace of its own). */
    TestRedis testRedis() {
        if (testRedis == null) {
            throw new IllegalStateException("the service runs on a redis-server of its own: use redisServer()");
        }
        return testRedis;
    }

    /** The redis-server process of {@link #onOwnRedisServer}. */
    RedisServer redisServer() {
        if (redisServer == null) {
            throw new IllegalStateException("the service runs on the test Redis: use ApiServerFixture.onOwnRedisServer");
        }
        return redisServer;
    }

    /** The proxy of {@link #throughProxy}, which can lose Redis's replies or refuse connections. */
    ReplyCuttingProxy proxy() {
        if (proxy == null) {
            throw new IllegalStateException("the service reaches Redis directly: use ApiServerFixture.throughProxy");
        }
        return proxy;
    }

    TallyConfig config() {
        return config;
    }

    Keys keys() {
        return keys;
    }

    int partitionOf(String counter) {
        return new Partitioner(partitions).partitionOf(counter);
    }

    /** Entries of the counter's partition stream that name the counter. */
    long entriesOf(String counter) {
        return redis.<String, String>getStream(keys.ops(partitionOf(counter)), StringCodec.INSTANCE)
                .range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX))
                .values().stream().filter(fields -> counter.equals(fields.get("counter"))).count();
    }

    /** The service's address for {@code path}, for a request without the token. */
    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** A request to {@code path} with the token, answered within 60 s. */
    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(uri(path))
                .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(60));
    }

    HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws Exception {
        return send(request(path).GET());
    }

    HttpResponse<String> post(String path, String json) throws Exception {
        return post(path, json, "application/json");
    }

    HttpResponse<String> post(String path, String body, String contentType) throws Exception {
        return send(request(path).header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** {@code method} on {@code path}, with a JSON body or none. */
    HttpResponse<String> send(String method, String path, String json) throws Exception {
        HttpRequest.Builder b = request(path);
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        return send(b.method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(json)));
    }

    /** The head of a {@code POST /v1/batch} with a chunked body, for a raw socket that then sends the chunks. */
    static String chunkedBatchHead() {
        return "POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                + "\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n";
    }
}
