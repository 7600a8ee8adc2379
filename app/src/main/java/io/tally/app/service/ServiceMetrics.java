package io.tally.app.service;

import io.micrometer.core.instrument.Tags;
import io.tally.app.metrics.JvmMeters;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** The service's Prometheus registry with the JVM and process binders. */
public final class ServiceMetrics {
    private ServiceMetrics() {
    }

    /**
     * A new registry with JVM memory, GC, threads, class loading, CPU and uptime meters bound, every
     * series labelled {@code namespace} (dashboards select by it) and {@code component=tally-service}.
     */
    public static PrometheusMeterRegistry newRegistry(String namespace) {
        return withBinders(Tags.of("namespace", namespace, "component", "tally-service"));
    }

    /**
     * As {@link #newRegistry(String)} without the {@code namespace} label on the JVM and process meters
     * (Tally's own meters carry it anyway).
     */
    public static PrometheusMeterRegistry newRegistry() {
        return withBinders(Tags.of("component", "tally-service"));
    }

    @SuppressWarnings("resource") // the GC binder lives as long as the registry, i.e. the process
    private static PrometheusMeterRegistry withBinders(Tags commonTags) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags(commonTags);
        JvmMeters.bindTo(registry);
        return registry;
    }
}
