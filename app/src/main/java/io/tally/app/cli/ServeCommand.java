package io.tally.app.cli;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tally.app.service.ApiServer;
import io.tally.app.service.ApiTokens;
import io.tally.app.service.ServiceMetrics;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.producer.metrics.MicrometerProducerMetrics;
import org.redisson.api.RedissonClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code tally serve}: runs the HTTP ingest service until SIGTERM or SIGINT. Its flags are the
 * configuration keys it reads ({@code --api-port}, also {@code --port}; {@code --api-host}, also
 * {@code --host}; the producer's, the series windows, the trigger caps).
 */
@Command(name = "serve",
        description = "Runs the HTTP ingest service (tokens from TALLY_API_TOKENS or --api-tokens-file).")
@ReadsConfig({ConfigScope.PRODUCER, ConfigScope.SERIES, ConfigScope.TRIGGER_CAPS, ConfigScope.API})
public final class ServeCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;
    @Spec
    CommandSpec spec;

    /**
     * Checks the tokens, then Redis's eviction policy (an evicting one is refused with exit 2: what the
     * service accepted could be evicted before it is applied), then serves until a signal.
     */
    @Override
    public Integer call() throws InterruptedException {
        TallyConfig config = options.config();
        ApiTokens tokens = ApiTokens.from(config);
        RedissonClient redis = RedisClientFactory.create(config);
        try {
            EvictionCheck.check(redis, config, EvictionCheck.Access.WRITE, spec.qualifiedName(),
                    spec.commandLine().getErr());
            PrometheusMeterRegistry registry = ServiceMetrics.newRegistry(config.namespace());
            try (MicrometerProducerMetrics metrics = new MicrometerProducerMetrics(registry, config.namespace())) {
                ApiServer server = new ApiServer(redis, config, tokens, metrics, registry);
                CountDownLatch stopRequested = new CountDownLatch(1);
                ShutdownSignals.onTermOrInt(stopRequested::countDown);
                stopRequested.await();
                server.close();
            }
        } finally {
            redis.shutdown(0, 2, TimeUnit.SECONDS);
        }
        return 0;
    }
}
