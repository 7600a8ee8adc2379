package io.tally.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A processor in a JVM of its own ({@code io.tally.app.runtime.ProcessorMain} on the test's class
 * path), so that crash tests can SIGKILL, SIGSTOP and SIGTERM it. Its output goes to a log file that
 * {@link #log()} returns for assertion messages.
 */
public final class ProcessorProcess implements AutoCloseable {
    private static final String MAIN = "io.tally.app.runtime.ProcessorMain";

    private final String name;
    private final Process process;
    private final Path logFile;
    private final boolean keepLog;

    private ProcessorProcess(String name, Process process, Path logFile, boolean keepLog) {
        this.name = name;
        this.process = process;
        this.logFile = logFile;
        this.keepLog = keepLog;
    }

    /**
     * Starts a processor.
     *
     * @param redisUrl  Redis to use
     * @param namespace namespace
     * @param args      further flags, e.g. {@code --lease-ttl-ms 2000}
     */
    public static ProcessorProcess start(String name, String redisUrl, String namespace, List<String> args) {
        return start(name, redisUrl, namespace, args, Map.of());
    }

    public static ProcessorProcess start(String name, String redisUrl, String namespace, List<String> args,
                                         Map<String, String> env) {
        return start(name, redisUrl, namespace, args, env, null);
    }

    /**
     * Starts a processor whose log is {@code <logDir>/<namespace>-<name>.log}, kept after {@link #close};
     * a null {@code logDir} gives a temporary log, deleted on close.
     */
    public static ProcessorProcess start(String name, String redisUrl, String namespace, List<String> args,
                                         Map<String, String> env, Path logDir) {
        List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), MAIN,
                "--redis-url", redisUrl, "--namespace", namespace, "--processor-id", name, "--metrics-port", "0"));
        cmd.addAll(args);
        try {
            Path log = logDir == null ? Files.createTempFile("tally-" + name + "-", ".log")
                    : Files.createDirectories(logDir).resolve(namespace + "-" + name + ".log");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().putAll(env);
            return new ProcessorProcess(name, pb.start(), log, logDir != null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook runs, leases stay until they expire. */
    public void kill() {
        process.destroyForcibly();
        await(10);
    }

    /** SIGTERM: graceful shutdown; returns the exit code. */
    public int terminate(long timeoutSeconds) {
        process.destroy();
        await(timeoutSeconds);
        return process.isAlive() ? -1 : process.exitValue();
    }

    /** SIGSTOP: the JVM freezes with its leases and connections. */
    public void pause() {
        RedisServer.run(List.of("kill", "-STOP", Long.toString(pid())));
    }

    public void resume() {
        RedisServer.run(List.of("kill", "-CONT", Long.toString(pid())));
    }

    /** The process's output so far. */
    public String log() {
        try {
            return Files.readString(logFile);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            await(10);
        }
        if (keepLog) {
            return;
        }
        try {
            Files.deleteIfExists(logFile);
        } catch (IOException ignored) {
            // temp file
        }
    }

    private void await(long seconds) {
        try {
            process.waitFor(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
