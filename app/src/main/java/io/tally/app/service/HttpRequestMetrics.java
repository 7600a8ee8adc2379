package io.tally.app.service;

import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.tally.common.internal.metrics.Histograms;
import io.tally.common.internal.metrics.OwnedMeters;

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code tally_http_server_requests_seconds{method, route, status}}: a histogram of every request the
 * service answers, from its arrival to its answer (read-your-writes waits included), with the latency
 * buckets of every Tally histogram. Every label has few values, whatever clients send: {@code route} is
 * the route template ({@code /v1/counters/{name}}), never the raw path: the route that answered, else the
 * one that would have (a request refused before routing, e.g. a 401), else {@value #UNMATCHED};
 * {@code method} is one of the standard methods or {@value #OTHER_METHOD}.
 * Requests that Jetty refuses before the service sees them (a malformed request line) are not counted.
 */
final class HttpRequestMetrics implements AutoCloseable {
    /** The route of a request that matched no endpoint (a 404, or a refusal before routing). */
    static final String UNMATCHED = "unmatched";
    /** The method label of a method outside {@link #METHODS}. */
    static final String OTHER_METHOD = "other";
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");

    private final OwnedMeters meters;
    private final Tags tags;
    private final RouteLookup routes;

    /** The route template that matches a method and path, or null. */
    @FunctionalInterface
    interface RouteLookup {
        String find(String method, String path);
    }

    /**
     * @param routes looks up the route of a request that was answered before routing (a before handler
     *               refused it), so that it is counted under the route it asked for
     */
    HttpRequestMetrics(MeterRegistry registry, String namespace, RouteLookup routes) {
        this.meters = new OwnedMeters(registry);
        this.tags = Tags.of("namespace", namespace);
        this.routes = routes;
    }

    /** Records one answered request; Javalin's request logger calls it with the request's duration. */
    void record(Context ctx, Float executionTimeMs) {
        String method = method(ctx.req().getMethod());
        String route = route(ctx, method);
        String status = Integer.toString(ctx.statusCode());
        long nanos = (long) (executionTimeMs.doubleValue() * 1_000_000);
        meters.get(List.of(method, route, status), r -> Timer.builder("tally.http.server.requests")
                .description("HTTP requests answered by the service, by method, route template and status")
                .tags(tags).tag("method", method).tag("route", route).tag("status", status)
                .serviceLevelObjectives(Histograms.latencyBuckets())
                .register(r)).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The method as a label: one of the methods the service knows, exactly (methods are case-sensitive), else other. */
    static String method(String method) {
        return method != null && METHODS.contains(method) ? method : OTHER_METHOD;
    }

    private String route(Context ctx, String method) {
        Endpoint matched = ctx.endpoints().matchedHttpEndpoint();
        if (matched != null) {
            return matched.path;
        }
        String route = method.equals(OTHER_METHOD) ? null : routes.find(method, ctx.path());
        if (route == null && ctx.statusCode() == 405) {
            // a known path asked with a method it does not serve: counted under the path's route
            for (String served : METHODS) {
                route = route == null ? routes.find(served, ctx.path()) : route;
            }
        }
        return route == null ? UNMATCHED : route;
    }

    /** Removes the meters from the registry. */
    @Override
    public void close() {
        meters.close();
    }
}
