package io.tally.app.demo;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * The Redis the demo runs on: the one given with {@code --redis-url}, else a private
 * {@code redis-server} from the PATH on a free port in a temporary folder, else a {@code redis:7}
 * container when Docker is reachable. Whatever it started, {@link #close()} stops.
 */
public final class DemoRedis implements AutoCloseable {
    private final String url;
    private final String description;
    private final Runnable stop;

    private DemoRedis(String url, String description, Runnable stop) {
        this.url = url;
        this.description = description;
        this.stop = stop;
    }

    /**
     * @param givenUrl the user's Redis URL, or null to start one
     * @throws IllegalStateException saying what to install when no Redis can be had
     */
    public static DemoRedis obtain(String givenUrl) {
        if (givenUrl != null) {
            return new DemoRedis(givenUrl, "given with --redis-url / TALLY_REDIS_URL", () -> { });
        }
        if (works("redis-server", "--version")) {
            return startServer();
        }
        if (works("docker", "info")) {
            return startContainer();
        }
        throw new IllegalStateException("tally demo needs Redis and found none: install redis-server "
                + "(Debian/Ubuntu: sudo apt-get install redis-server; Fedora: sudo dnf install redis; "
                + "macOS: brew install redis), or start Docker, or pass --redis-url redis://HOST:PORT");
    }

    public String url() {
        return url;
    }

    public String description() {
        return description;
    }

    @Override
    public void close() {
        stop.run();
    }

    private static DemoRedis startServer() {
        try {
            Path dir = Files.createTempDirectory("tally-demo-redis-");
            int port = freePort();
            List<String> cmd = new ArrayList<>();
            if (works("setsid", "--version")) {
                // a session of its own, so that Ctrl-C (sent to the terminal's process group) reaches only the
                // JVM, whose shutdown stops the processors first and this server last (setsid execs in place:
                // the JVM's child is never a group leader, so the pid stays the server's)
                cmd.add("setsid");
            }
            cmd.addAll(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--dir", dir.toString(), "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction",
                    "--logfile", dir.resolve("redis.log").toString()));
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
            Runnable stop = stopOnExit(() -> {
                p.destroy();
                try {
                    if (!p.waitFor(5, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                deleteTree(dir);
            });
            awaitPing(port, p::isAlive, stop);
            return new DemoRedis("redis://127.0.0.1:" + port, "private redis-server (pid " + p.pid() + ", port " + port
                    + "), stopped on exit", stop);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server: " + e.getMessage(), e);
        }
    }

    private static DemoRedis startContainer() {
        int port = freePort();
        String id = run("docker", "run", "-d", "--rm", "-p", "127.0.0.1:" + port + ":6379", "redis:7",
                "redis-server", "--save", "", "--maxmemory-policy", "noeviction").strip();
        Runnable stop = stopOnExit(() -> run("docker", "rm", "-f", id));
        awaitPing(port, () -> true, stop);
        return new DemoRedis("redis://127.0.0.1:" + port, "Docker container redis:7 " + id.substring(0, Math.min(12, id.length()))
                + ", removed on exit", stop);
    }

    /**
     * {@code stop} run at most once: by the returned runnable, or when the JVM exits before that. The server
     * runs in a session of its own, so a Ctrl-C while it still starts (before the demo's own shutdown takes
     * it over) would otherwise leave it running.
     */
    private static Runnable stopOnExit(Runnable stop) {
        AtomicBoolean done = new AtomicBoolean();
        Runnable once = () -> {
            if (done.compareAndSet(false, true)) {
                stop.run();
            }
        };
        Thread hook = new Thread(once, "tally-demo-redis-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        return () -> {
            once.run();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // the JVM is already exiting: the hook finds the stop done
            }
        };
    }

    private static void awaitPing(int port, java.util.function.BooleanSupplier alive, Runnable stop) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && alive.getAsBoolean()) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] buf = new byte[16];
                int n = s.getInputStream().read(buf);
                if (n > 0 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG")) {
                    return;
                }
            } catch (IOException ignored) {
                // not listening yet
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        stop.run();
        throw new IllegalStateException("the demo's Redis on port " + port + " did not answer PING within 30 s");
    }

    private static boolean works(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(new ArrayList<>(List.of(cmd))).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out.strip());
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port: " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a temporary folder
        }
    }
}
