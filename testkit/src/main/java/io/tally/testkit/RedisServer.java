package io.tally.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A {@code redis-server} process of the test's own, on a free port in a temporary folder, so a test
 * can kill, stop, restart and reconfigure it without touching any Redis it did not start.
 */
public final class RedisServer implements AutoCloseable {
    /** The config file of a server started with {@link #startWithConfigFile}, in its folder. */
    private static final String CONFIG_FILE = "redis.conf";
    private final Path dir;
    private final boolean ownsDir;
    private final int port;
    private final boolean configFile;
    private final List<String> extraArgs;
    private Process process;

    private RedisServer(Path dir, boolean ownsDir, int port, boolean configFile, List<String> extraArgs) {
        this.dir = dir;
        this.ownsDir = ownsDir;
        this.port = port;
        this.configFile = configFile;
        this.extraArgs = List.copyOf(extraArgs);
    }

    /**
     * Starts a server on a free port, in a temporary folder deleted on {@link #close}, with persistence
     * off and {@code maxmemory-policy noeviction}; {@code extraArgs} are further redis-server flags.
     */
    public static RedisServer start(String... extraArgs) {
        return onFreePorts(() -> startOnPort(freePort(), extraArgs));
    }

    /** Starts of a server whose port was taken before redis-server could bind it, tried again at most. */
    private static final int PORT_ATTEMPTS = 5;

    /**
     * Starts what {@code attempt} starts, again with the ports it chooses anew while redis-server could not
     * bind one: a port {@link #freePort} found free is released before redis-server binds it, and another
     * process (an outgoing connection of a test running beside) can take it meanwhile.
     */
    public static RedisServer onFreePorts(Supplier<RedisServer> attempt) {
        for (int i = 1; ; i++) {
            try {
                return attempt.get();
            } catch (IllegalStateException e) {
                if (i == PORT_ATTEMPTS || e.getMessage() == null || !e.getMessage().contains("Address already in use")) {
                    throw e;
                }
            }
        }
    }

    /** Starts a server on a port chosen by the caller (a cluster node needs its cluster bus port next to it). */
    public static RedisServer startOnPort(int port, String... extraArgs) {
        try {
            return launched(new RedisServer(Files.createTempDirectory("tally-redis-"), true, port, false,
                    List.of(extraArgs)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts a server on a free port whose first argument is a config file holding {@code configLines},
     * written into its temporary folder: for a Sentinel ({@code --sentinel} among {@code extraArgs}),
     * which needs a config file and rewrites it.
     */
    public static RedisServer startWithConfigFile(String configLines, String... extraArgs) {
        return onFreePorts(() -> {
            try {
                Path dir = Files.createTempDirectory("tally-redis-");
                Files.writeString(dir.resolve(CONFIG_FILE), configLines);
                return launched(new RedisServer(dir, true, freePort(), true, List.of(extraArgs)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * Starts a server on a free port in the caller's folder (created if missing), which {@link #close}
     * leaves in place with the server's log: for a run that keeps its logs.
     */
    public static RedisServer startIn(Path dir, String... extraArgs) {
        try {
            Path folder = Files.createDirectories(dir);
            return onFreePorts(() -> launched(new RedisServer(folder, false, freePort(), false, List.of(extraArgs))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static RedisServer launched(RedisServer server) {
        try {
            server.launch();
        } catch (RuntimeException e) {
            server.close(); // its folder, and a process that did not exit
            throw e;
        }
        return server;
    }

    /**
     * Fails the calling test (never skips it) when redis-server is not on the PATH: a green build must
     * mean the tests that need a real Redis ran.
     */
    public static void requireAvailable() {
        if (!available()) {
            throw new IllegalStateException("redis-server is not on the PATH; install it (apt-get install -y "
                    + "redis-server): this test needs a real Redis of its own");
        }
    }

    /** Whether {@code redis-server --version} runs. */
    public static boolean available() {
        try {
            Process p = new ProcessBuilder("redis-server", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public int port() {
        return port;
    }

    public Path dir() {
        return dir;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** SIGKILL: no shutdown, no save. */
    public void kill() {
        signal("KILL");
        waitForExit();
    }

    /** SIGSTOP: the process freezes, its sockets stay open. */
    public void pause() {
        signal("STOP");
    }

    public void resume() {
        signal("CONT");
    }

    /** Starts the server again on the same port and folder (AOF, if enabled, is replayed). */
    public void restart() {
        if (isRunning()) {
            kill();
        }
        launch();
    }

    /** Runs redis-cli against this server and returns its output. */
    public String cli(String... args) {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            waitForExit();
        }
        if (ownsDir) {
            deleteTree(dir);
        }
    }

    private void launch() {
        List<String> cmd = new ArrayList<>(List.of("redis-server"));
        if (configFile) {
            cmd.add(dir.resolve(CONFIG_FILE).toString()); // redis-server takes a config file only first
        }
        cmd.addAll(List.of("--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--dir", dir.toString(), "--save", "", "--appendonly", "no",
                "--maxmemory-policy", "noeviction", "--logfile", dir.resolve("redis.log").toString()));
        cmd.addAll(extraArgs);
        try {
            process = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("stdout.log").toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start redis-server (is it on the PATH?)", e);
        }
        awaitPing();
    }

    private void awaitPing() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server on port " + port + " exited: " + readLog());
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(1000); // whatever else listens on the port (it was taken) must not hold the wait
                s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] buf = new byte[64];
                int n = s.getInputStream().read(buf);
                if (n > 0 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG")) {
                    return;
                }
            } catch (IOException ignored) {
                // not listening yet
            }
            sleep(20);
        }
        throw new IllegalStateException("redis-server on port " + port + " did not answer PING: " + readLog());
    }

    private String readLog() {
        try {
            return Files.readString(dir.resolve("redis.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private void signal(String sig) {
        run(List.of("kill", "-" + sig, Long.toString(process.pid())));
    }

    private void waitForExit() {
        try {
            process.waitFor(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(30, TimeUnit.SECONDS);
            return out.strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
