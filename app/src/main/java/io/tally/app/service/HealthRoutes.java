package io.tally.app.service;

import io.javalin.config.RoutesConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tally.app.metrics.ScrapeFormat;
import io.tally.common.internal.keys.Keys;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Liveness, readiness (only while Redis answers within a second, the namespace exists and Redis did not
 * refuse the service's sends, see {@link SendRefusals}) and the Prometheus scrape
 * (OpenMetrics or text 0.0.4 by the {@code Accept} header, see {@link ScrapeFormat}). These need no token, so that probes and scrapers work without one; they show no counter data.
 */
final class HealthRoutes implements Routes {
    private final RedissonClient redis;
    private final SendRefusals refusals;
    private final Keys keys;
    private final PrometheusMeterRegistry registry;
    /** Shown in every health body, so that a service accepting requests without a token is seen. */
    private final Map<String, Object> up;

    HealthRoutes(RedissonClient redis, Keys keys, PrometheusMeterRegistry registry, boolean insecure,
                 SendRefusals refusals) {
        this.redis = redis;
        this.refusals = refusals;
        this.keys = keys;
        this.registry = registry;
        this.up = Map.of("status", "UP", "insecure", insecure);
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/health/live", ctx -> ctx.json(up));
        routes.get("/health/ready", ctx -> {
            boolean exists;
            try {
                exists = redis.getMap(keys.meta(), StringCodec.INSTANCE).isExistsAsync().toCompletableFuture()
                        .get(1, TimeUnit.SECONDS);
            } catch (Exception e) {
                // A probe asks often: the answer says enough, the log stays quiet.
                throw new ApiProblem(503, "Not ready", "tally service: Redis does not answer within 1 s; check "
                        + "that Redis is up and reachable", null).header("Retry-After", "1");
            }
            if (!exists) {
                throw new ApiProblem(503, "Not ready", "tally service: namespace '" + keys.namespace()
                        + "' does not exist in Redis (no key " + keys.meta() + "); start a processor or run "
                        + "`tally init --partitions P`; sends wait for it up to send-timeout-ms", null)
                        .header("Retry-After", "1");
            }
            Optional<String> refused = refusals.now();
            if (refused.isPresent()) {
                throw new ApiProblem(503, "Not ready", "tally service: Redis refused the latest sends ("
                        + refused.get() + "); Redis answers, but takes no writes from this service now; see "
                        + "tally_producer_send_failures_total and the log", null).header("Retry-After", "1");
            }
            ctx.json(up);
        });
        routes.get("/metrics", ctx -> {
            String accept = String.join(",", Collections.list(ctx.req().getHeaders("Accept")));
            ScrapeFormat format = ScrapeFormat.negotiate(accept);
            ctx.header("Vary", "Accept").contentType(format.contentType()).result(format.scrape(registry));
        });
    }
}
