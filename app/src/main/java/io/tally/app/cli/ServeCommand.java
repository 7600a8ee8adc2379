package io.tally.app.cli;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tally.producer.metrics.MicrometerProducerMetrics;
import io.tally.common.config.TallyConfig;
import io.tally.app.service.ApiServer;
import io.tally.app.service.ApiTokens;
import io.tally.app.service.ServiceMetrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code tally serve}: runs the HTTP ingest service until SIGTERM or SIGINT. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Runs the HTTP ingest service (tokens from TALLY_API_TOKENS or --api-tokens-file).")
public final class ServeCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;
    @Option(names = "--port", paramLabel = "PORT", description = "Port (TALLY_API_PORT, default 8080; 0: any free port).")
    String port;
    @Option(names = "--host", paramLabel = "ADDR", description = "Listen address (TALLY_API_HOST, default 0.0.0.0).")
    String host;
    @Option(names = "--api-tokens-file", paramLabel = "FILE", description = "Bearer tokens, one per line.")
    String tokensFile;
    @Option(names = "--insecure", description = "Start without any token: accept every request (local trials only).")
    boolean insecure;

    /** The configuration these options describe. */
    TallyConfig config() {
        TallyConfig.Builder b = options.builder();
        if (port != null) {
            b.flag(TallyConfig.API_PORT.name(), port);
        }
        if (host != null) {
            b.flag(TallyConfig.API_HOST.name(), host);
        }
        if (tokensFile != null) {
            b.flag(TallyConfig.API_TOKENS_FILE.name(), tokensFile);
        }
        if (insecure) {
            b.set(TallyConfig.API_INSECURE, true);
        }
        return b.build();
    }

    @Override
    public Integer call() throws InterruptedException {
        TallyConfig config = config();
        ApiTokens tokens = ApiTokens.from(config);
        PrometheusMeterRegistry registry = ServiceMetrics.newRegistry(config.namespace());
        try (MicrometerProducerMetrics metrics = new MicrometerProducerMetrics(registry, config.namespace())) {
            ApiServer server = ApiServer.start(config, tokens, metrics, registry);
            CountDownLatch stopRequested = new CountDownLatch(1);
            ShutdownSignals.onTermOrInt(stopRequested::countDown);
            stopRequested.await();
            server.close();
        }
        return 0;
    }
}
