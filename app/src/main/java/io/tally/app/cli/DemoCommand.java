package io.tally.app.cli;

import io.tally.common.config.TallyConfig;
import io.tally.app.demo.Demo;
import io.tally.app.demo.DemoRedis;
import io.tally.app.cli.Cli;
import io.tally.app.cli.ConfigOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code tally demo}: the whole pipeline in one process on a fresh machine. */
@Command(name = "demo", 
        description = {"Runs two processors and the HTTP API in one process and plays the seed scenario.",
                "Redis: --redis-url if given, else a private redis-server from the PATH, else a Docker container."})
public final class DemoCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;
    @Spec
    CommandSpec spec;
    @Option(names = "--port", defaultValue = "0", description = "API port, 0 to 65535 (default 0: a free port).")
    @OptionRange(min = 0, max = 65535, note = "0: a free port")
    int port;
    @Option(names = "--duration", defaultValue = "0",
            description = "Seconds to keep running after the scenarios, at most 1e9 (default 0: until Ctrl-C).")
    @OptionRange(min = 0, max = 1e9, note = "0: until Ctrl-C")
    long duration;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        TallyConfig.Builder base = options.builder();
        String url = base.build().get(TallyConfig.REDIS_URL);
        DemoRedis redis;
        try {
            redis = DemoRedis.obtain(options.redisUrlGiven() ? url : null);
        } catch (IllegalStateException e) {
            spec.commandLine().getErr().println(e.getMessage());
            return Cli.FAILURE;
        }
        Demo demo = new Demo(out);
        Thread hook = new Thread(demo::close, "tally-demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return demo.run(redis, base, port, duration) ? 0 : Cli.FAILURE;
        } finally {
            demo.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // the JVM is already shutting down: the hook runs close() again, which is harmless
            }
        }
    }
}
