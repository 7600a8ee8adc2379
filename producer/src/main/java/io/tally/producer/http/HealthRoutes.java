package io.tally.producer.http;

import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tally.common.keys.Keys;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Liveness, readiness (only while Redis answers within a second) and the Prometheus scrape. These
 * need no token, so that probes and scrapers work without one; they show no counter data.
 */
final class HealthRoutes implements Routes {
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final RedissonClient redis;
    private final Keys keys;
    private final PrometheusMeterRegistry registry;

    HealthRoutes(RedissonClient redis, Keys keys, PrometheusMeterRegistry registry) {
        this.redis = redis;
        this.keys = keys;
        this.registry = registry;
    }

    @Override
    public void register(Javalin app) {
        app.get("/health/live", ctx -> ctx.json(Map.of("status", "UP")));
        app.get("/health/ready", ctx -> {
            try {
                redis.getMap(keys.meta(), StringCodec.INSTANCE).isExistsAsync().toCompletableFuture()
                        .get(1, TimeUnit.SECONDS);
                ctx.json(Map.of("status", "UP"));
            } catch (Exception e) {
                // A probe asks often: the answer says enough, the log stays quiet.
                throw new ApiProblem(503, "Not ready", "tally service: Redis does not answer within 1 s; check "
                        + "that Redis is up and reachable", null).header("Retry-After", "1");
            }
        });
        app.get("/metrics", ctx -> ctx.contentType(PROMETHEUS_TEXT).result(registry.scrape()));
    }
}
