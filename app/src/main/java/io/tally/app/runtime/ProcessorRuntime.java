package io.tally.app.runtime;

import io.tally.app.metrics.JvmMeters;
import io.tally.app.metrics.PartitionLagCollector;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tally.common.TallyVersion;
import io.tally.common.config.ConfigException;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.processor.PartitionHalt;
import io.tally.processor.Processor;
import io.tally.processor.internal.RedisProcessor;
import io.tally.app.runtime.MetricsHttpServer;
import io.tally.processor.metrics.MicrometerProcessorMetrics;
import io.tally.producer.internal.admin.PartitionStatusReader;
import org.redisson.api.RedissonClient;

import java.io.UncheckedIOException;
import java.net.BindException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A processor with its observability: Prometheus registry with JVM and process metrics (every series
 * labelled with the namespace), the processor's metrics, the gauges of the partitions it owns read from
 * Redis, {@code tally_processor_info}, and the HTTP server for
 * {@code /metrics} and health on {@code --metrics-port}. {@link #close()} flips readiness to 503 first,
 * then stops the processor (which releases its leases), then the rest.
 */
public final class ProcessorRuntime implements AutoCloseable {
    /** How often the lag gauges are read from Redis. */
    public static final long LAG_INTERVAL_MS = 5_000;

    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gc;
    private final MicrometerProcessorMetrics metrics;
    private final RedissonClient redis;
    private final MetricsHttpServer http;
    /** Set once the processor has joined; the HTTP server, bound before that, reads it (volatile). */
    private volatile Processor processor;
    private final PartitionLagCollector lag;

    private ProcessorRuntime(TallyConfig config, long lagIntervalMs, RedissonClient redis, PrometheusMeterRegistry registry) {
        this.redis = redis;
        this.registry = registry;
        this.gc = JvmMeters.bindTo(registry);
        this.metrics = new MicrometerProcessorMetrics(registry, config.namespace());
        // Bound before the processor joins the membership, so that a port in use stops the start before
        // anything is written to Redis. A halted partition does not make the processor unready: restarting or
        // unrouting it would not help (the cause is in the data or in Redis). Readiness names the halts.
        this.http = listen(config, registry, this::ready, this::readinessDetail);
        try {
            this.processor = RedisProcessor.start(redis, config, metrics);
            this.lag = new PartitionLagCollector(
                    new PartitionStatusReader(redis, Namespace.open(redis, config).keys(), processor.partitions()), registry,
                    config.namespace(), new PartitionLagCollector.Owner(processor.processorId(), processor.instanceId()))
                    .start(lagIntervalMs);
            registerInfo(registry, processor);
        } catch (RuntimeException e) {
            http.close();
            if (processor != null) {
                processor.close();
            }
            metrics.close();
            gc.close();
            throw e;
        }
    }

    /**
     * {@code tally_processor_info{processor, owner_token, version} 1}: maps the lease value of this run (lease
     * keys, consumer names, {@code tally status}) to the processor id that labels the other metrics.
     */
    private static void registerInfo(PrometheusMeterRegistry registry, Processor processor) {
        Gauge.builder("tally.processor.info", () -> 1)
                .description("1, labelled with this processor's id, the lease value (owner token) of this run and "
                        + "the Tally version")
                .tag("processor", processor.processorId())
                .tag("owner_token", processor.instanceId())
                .tag("version", TallyVersion.current())
                .strongReference(true)
                .register(registry);
    }

    /**
     * The metrics and health server on {@code metrics-host}:{@code metrics-port}.
     *
     * @throws ConfigException when the address is taken or not local: a restart alone cannot fix that
     */
    private static MetricsHttpServer listen(TallyConfig config, PrometheusMeterRegistry registry, BooleanSupplier ready,
                                            Supplier<String> detail) {
        String host = config.get(TallyConfig.METRICS_HOST);
        int port = config.get(TallyConfig.METRICS_PORT);
        try {
            return MetricsHttpServer.start(host, port, registry, ready, detail);
        } catch (UncheckedIOException e) {
            BindException bind = bindFailure(e);
            if (bind == null) {
                throw e;
            }
            String reason = String.valueOf(bind.getMessage());
            if (reason.toLowerCase(Locale.ROOT).contains("in use")) {
                throw new ConfigException("port " + port + " on " + host + " is in use; set --metrics-port / "
                        + "TALLY_METRICS_PORT (0: any free port)");
            }
            throw new ConfigException("cannot listen on " + host + ":" + port + " (" + reason + "); set --metrics-host / "
                    + "TALLY_METRICS_HOST to an address of this host");
        }
    }

    private static BindException bindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof BindException b) {
                return b;
            }
        }
        return null;
    }

    private boolean ready() {
        Processor p = processor;
        return p != null && p.ready();
    }

    private String readinessDetail() {
        Processor p = processor;
        return p == null ? "joining the membership\n" : pausedDetail(p.pausedFor()) + haltDetail(p.haltedPartitions());
    }

    /** One line per halted partition: "halted partition 3: unknown_version since 1700000000000 (ops entry ...)". */
    static String haltDetail(Map<Integer, PartitionHalt> halted) {
        StringBuilder out = new StringBuilder();
        halted.forEach((p, h) -> out.append("halted partition ").append(p).append(": ").append(h.reason())
                .append(" since ").append(h.sinceMs()).append(" (").append(h.detail()).append(")\n"));
        return out.toString();
    }

    /** Starts a processor, its metrics and its HTTP server. */
    public static ProcessorRuntime start(TallyConfig config) {
        return start(config, LAG_INTERVAL_MS);
    }

    /** As {@link #start(TallyConfig)}, reading lag from Redis every {@code lagIntervalMs}. */
    public static ProcessorRuntime start(TallyConfig config, long lagIntervalMs) {
        RedissonClient redis = RedisClientFactory.create(config);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Every series of the process, JVM ones included, names its namespace: dashboards select by it.
        registry.config().commonTags("namespace", config.namespace());
        try {
            return new ProcessorRuntime(config, lagIntervalMs, redis, registry);
        } catch (RuntimeException e) {
            redis.shutdown();
            registry.close();
            throw e;
        }
    }

    public Processor processor() {
        return processor;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The port of {@code /metrics} and {@code /health/*}. */
    public int httpPort() {
        return http.port();
    }

    @Override
    public void close() {
        http.drain();
        processor.close();
        lag.close();
        metrics.close();
        gc.close();
        http.close();
        redis.shutdown(0, 2, TimeUnit.SECONDS);
        registry.close();
    }

    private static String pausedDetail(String pausedFor) {
        return pausedFor == null ? "" : "applying paused: " + pausedFor + " (needs noeviction)\n";
    }
}
