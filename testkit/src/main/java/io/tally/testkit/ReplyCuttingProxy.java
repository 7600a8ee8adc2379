package io.tally.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy in front of a Redis server that loses replies on purpose: a connection whose request
 * carries a chosen pattern (for instance the SHA of a script) is forwarded to Redis and then cut, either
 * once the reply has reached the proxy (the command ran; the client never learns it) or at once, before
 * the request (the command never ran). Clients see a connection that broke after they wrote, the case
 * where a send's outcome is unknown. Everything else passes through untouched.
 *
 * <p>A request is matched per chunk read from the client, so a pattern that a TCP read happens to split
 * is missed now and then; tests count {@link #cuts()} rather than assume every match.
 */
public final class ReplyCuttingProxy implements AutoCloseable {
    /** What a cut does. */
    public enum Cut {
        /** Forward the request, wait for Redis's reply (or 500 ms), drop it and close: the command ran. */
        AFTER_REPLY,
        /** Close without forwarding the request: the command never ran. */
        BEFORE_REQUEST
    }

    private final int targetPort;
    private final int port;
    private volatile ServerSocket server;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicInteger armed = new AtomicInteger();
    private final AtomicInteger cuts = new AtomicInteger();
    /** Probability of cutting a matching request, as raw double bits; 0 unless {@link #cutRandomly}. */
    private final AtomicLong probability = new AtomicLong(Double.doubleToLongBits(0));
    private volatile byte[] pattern = new byte[0];
    private volatile Cut cut = Cut.AFTER_REPLY;
    private volatile boolean closed;

    private ReplyCuttingProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = listen(0);
        this.port = server.getLocalPort();
        Thread acceptor = new Thread(this::accept, "reply-cutting-proxy:" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A proxy on a free loopback port in front of Redis at 127.0.0.1:{@code targetPort}. */
    public static ReplyCuttingProxy start(int targetPort) {
        try {
            return new ReplyCuttingProxy(targetPort);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:<port>}. */
    public String url() {
        return "redis://127.0.0.1:" + port();
    }

    /** Cuts the next {@code times} requests that contain {@code pattern} (ASCII), as {@code how} says. */
    public void cutNext(String pattern, int times, Cut how) {
        this.pattern = pattern.getBytes(StandardCharsets.US_ASCII);
        this.cut = how;
        armed.set(times);
    }

    /**
     * From now on cuts each request that contains {@code pattern} with probability {@code p}, half of the
     * cuts after Redis replied and half before the request; {@code p} 0 stops.
     */
    public void cutRandomly(String pattern, double p) {
        this.pattern = pattern.getBytes(StandardCharsets.US_ASCII);
        probability.set(Double.doubleToLongBits(p));
    }

    /**
     * Closes every connection and stops listening, so that connecting is refused, as with a Redis that went
     * away; until {@link #admit}.
     */
    public synchronized void refuse() {
        closeQuietly(server);
        for (Socket s : sockets) {
            close(s);
        }
    }

    /**
     * Waits (up to 10 s) until a connection is cut past the first {@code cutsBefore}, then refuses connections (Redis
     * gone after the cut call ran, so that its retries cannot connect) until {@code call} ends, and listens again.
     *
     * @return what {@code call} gave
     */
    public <T> T refuseOnceCut(int cutsBefore, CompletableFuture<T> call, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (cuts() <= cutsBefore) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no connection was cut within 10 s");
            }
            sleep(5);
        }
        refuse();
        try {
            return call.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            admit();
        }
    }

    /** Listens again on the same port after {@link #refuse}. */
    public synchronized void admit() {
        if (server.isClosed()) {
            try {
                server = listen(port);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static ServerSocket listen(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return s;
    }

    /** Connections cut so far. */
    public int cuts() {
        return cuts.get();
    }

    private void accept() {
        while (!closed) {
            ServerSocket listening = server;
            try {
                Socket client = listening.accept();
                Socket upstream = new Socket();
                try {
                    upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5000);
                } catch (IOException e) {
                    closeQuietly(client);
                    throw e;
                }
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                synchronized (this) {
                    if (listening.isClosed()) { // refused meanwhile
                        closeQuietly(client);
                        closeQuietly(upstream);
                        continue;
                    }
                    sockets.add(client);
                    sockets.add(upstream);
                }
                new Link(client, upstream).start();
            } catch (IOException e) {
                if (!closed) {
                    sleep(10);
                }
            }
        }
    }

    /** Which way a matching request goes, or null to pass it through. */
    private Cut decide(byte[] buf, int n) {
        byte[] p = pattern;
        if (p.length == 0 || !contains(buf, n, p)) {
            return null;
        }
        if (armed.get() > 0 && armed.getAndDecrement() > 0) {
            return cut;
        }
        double chance = Double.longBitsToDouble(probability.get());
        if (chance > 0 && ThreadLocalRandom.current().nextDouble() < chance) {
            return ThreadLocalRandom.current().nextBoolean() ? Cut.AFTER_REPLY : Cut.BEFORE_REQUEST;
        }
        return null;
    }

    /** One client connection and its upstream connection to Redis. */
    private final class Link {
        private final Socket client;
        private final Socket upstream;
        private final Object replied = new Object();
        private volatile boolean swallowing;
        private volatile boolean sawReply;

        Link(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void start() {
            Thread up = new Thread(this::clientToRedis, "proxy-up:" + client.getPort());
            Thread down = new Thread(this::redisToClient, "proxy-down:" + client.getPort());
            up.setDaemon(true);
            down.setDaemon(true);
            up.start();
            down.start();
        }

        private void clientToRedis() {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = client.getInputStream(); OutputStream out = upstream.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    Cut how = decide(buf, n);
                    if (how == Cut.BEFORE_REQUEST) {
                        cuts.incrementAndGet();
                        break;
                    }
                    if (how == Cut.AFTER_REPLY) {
                        swallowing = true;
                        out.write(buf, 0, n);
                        out.flush();
                        synchronized (replied) {
                            long until = System.nanoTime() + 500_000_000L;
                            while (!sawReply && System.nanoTime() < until) {
                                replied.wait(10);
                            }
                        }
                        cuts.incrementAndGet();
                        break;
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // the other side closed
            } finally {
                closeBoth();
            }
        }

        private void redisToClient() {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = upstream.getInputStream(); OutputStream out = client.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    if (swallowing) {
                        synchronized (replied) {
                            sawReply = true;
                            replied.notifyAll();
                        }
                        continue;
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // the other side closed
            } finally {
                closeBoth();
            }
        }

        private void closeBoth() {
            close(client);
            close(upstream);
        }
    }

    private void close(Socket s) {
        sockets.remove(s);
        closeQuietly(s);
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    private static boolean contains(byte[] buf, int n, byte[] p) {
        outer:
        for (int i = 0; i + p.length <= n; i++) {
            for (int j = 0; j < p.length; j++) {
                if (buf[i + j] != p[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        for (Socket s : sockets) {
            close(s);
        }
    }
}
