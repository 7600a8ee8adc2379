package io.tally.app.runtime;

import io.tally.common.config.ConfigException;
import io.tally.common.config.TallyConfig;
import io.tally.app.cli.Cli;
import io.tally.app.cli.ShutdownSignals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code tally processor [--redis-url URL] [--namespace NS] [--partitions P] ...}: runs a
 * processor with {@code /metrics} and {@code /health/*} on {@code --metrics-port} until SIGTERM or SIGINT,
 * then reports not ready, drains the batch in hand, releases its leases and exits.
 * Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.
 */
public final class ProcessorMain {
    private static final Logger log = LoggerFactory.getLogger(ProcessorMain.class);
    private static final String VERBOSE = "--verbose";

    private ProcessorMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv(), Cli.utf8(System.out), Cli.utf8(System.err)));
    }

    /** Runs a processor with these arguments until shutdown; returns the exit code. */
    public static int run(String[] args) {
        return run(args, System.getenv(), Cli.utf8(System.out), Cli.utf8(System.err));
    }

    /**
     * As {@link #run(String[])} with the given environment and output. A failure to start is one line
     * naming the cause and the fix; its stack trace follows with {@code --verbose} or DEBUG logging.
     */
    public static int run(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
        List<String> given = new ArrayList<>(List.of(args));
        boolean verbose = given.remove(VERBOSE);
        TallyConfig config;
        try {
            TallyConfig.Builder builder = TallyConfig.builder().env(env);
            List<String> rest = builder.args(given.toArray(String[]::new));
            if (rest.contains("--help") || rest.contains("-h")) {
                out.println(usage());
                return 0;
            }
            if (!rest.isEmpty()) {
                throw new ConfigException("Unknown argument " + rest.get(0) + "\n" + usage());
            }
            config = builder.build();
        } catch (ConfigException e) {
            err.println("tally processor: " + e.getMessage());
            return Cli.USAGE;
        }
        log.debug("effective configuration:\n{}", config.describe());
        ProcessorRuntime processor;
        try {
            processor = ProcessorRuntime.start(config);
        } catch (ConfigException e) {
            err.println("tally processor: " + e.getMessage());
            return Cli.USAGE;
        } catch (RuntimeException e) {
            err.println("tally processor: failed to start: " + Cli.describe(e, config));
            if (verbose) {
                e.printStackTrace(err);
            } else {
                log.debug("processor failed to start", e);
            }
            return Cli.FAILURE;
        }
        awaitTermOrInt();
        processor.close();
        return 0;
    }

    private static void awaitTermOrInt() {
        CountDownLatch stopRequested = new CountDownLatch(1);
        ShutdownSignals.onTermOrInt(stopRequested::countDown);
        try {
            stopRequested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String usage() {
        StringBuilder sb = new StringBuilder("Usage: tally processor [options]\nOptions (each also as an environment variable):\n");
        TallyConfig.keys().forEach(k -> {
            if (!k.secret()) {
                sb.append(String.format("  %-28s %s (%s, default %s)%n", k.flag(), k.doc(), k.env(), k.defaultValue()));
            }
        });
        sb.append(String.format("  %-28s %s%n", VERBOSE, "On a failure to start, print the stack trace after the one-line message."));
        return sb.toString();
    }
}
