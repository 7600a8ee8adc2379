package io.tally.processor.app;

import io.tally.common.config.ConfigException;
import io.tally.common.config.TallyConfig;
import io.tally.producer.cli.ShutdownSignals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar tally-processor.jar [--redis-url URL] [--namespace NS] [--partitions P] ...}: runs a
 * processor with {@code /metrics} and {@code /health/*} on {@code --http-port} until SIGTERM or SIGINT,
 * then reports not ready, drains the batch in hand, releases its leases and exits.
 * Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.
 */
public final class ProcessorMain {
    private static final Logger log = LoggerFactory.getLogger(ProcessorMain.class);

    private ProcessorMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a processor with these arguments until shutdown; returns the exit code. */
    public static int run(String[] args) {
        TallyConfig config;
        try {
            TallyConfig.Builder builder = TallyConfig.builder().env(System.getenv());
            List<String> rest = builder.args(args);
            if (rest.contains("--help") || rest.contains("-h")) {
                System.out.println(usage());
                return 0;
            }
            if (!rest.isEmpty()) {
                throw new ConfigException("Unknown argument " + rest.get(0) + "\n" + usage());
            }
            config = builder.build();
        } catch (ConfigException e) {
            System.err.println("tally processor: " + e.getMessage());
            return 2;
        }
        log.debug("effective configuration:\n{}", config.describe());
        ProcessorRuntime processor;
        try {
            processor = ProcessorRuntime.start(config);
        } catch (ConfigException e) {
            System.err.println("tally processor: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            log.error("processor failed to start: {}", e.toString(), e);
            return 1;
        }
        CountDownLatch stopRequested = new CountDownLatch(1);
        ShutdownSignals.onTermOrInt(stopRequested::countDown);
        try {
            stopRequested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        processor.close();
        return 0;
    }

    static String usage() {
        StringBuilder sb = new StringBuilder("Usage: tally processor [options]\nOptions (each also as an environment variable):\n");
        TallyConfig.keys().forEach(k -> {
            if (!k.secret()) {
                sb.append(String.format("  %-28s %s (%s, default %s)%n", k.flag(), k.doc(), k.env(), k.defaultValue()));
            }
        });
        return sb.toString();
    }
}
