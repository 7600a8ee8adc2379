package io.tally.processor.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The small HTTP server of a process: {@code GET /metrics} (Prometheus text format),
 * {@code GET /health/live} (200 while the process serves) and {@code GET /health/ready} (200 while
 * the readiness check passes and {@link #drain()} has not been called, else 503).
 */
public final class MetricsHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsHttpServer.class);
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;
    private final PrometheusMeterRegistry registry;
    private final BooleanSupplier ready;
    private final Supplier<String> detail;
    private volatile boolean draining;

    private MetricsHttpServer(HttpServer server, PrometheusMeterRegistry registry, BooleanSupplier ready,
                              Supplier<String> detail) {
        this.server = server;
        this.registry = registry;
        this.ready = ready;
        this.detail = detail;
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "tally-http");
            t.setDaemon(true);
            return t;
        });
        server.createContext("/metrics", e -> handle(e, this::metrics));
        server.createContext("/health/live", e -> handle(e, x -> respond(x, 200, "text/plain", "live\n")));
        server.createContext("/health/ready", e -> handle(e, this::readiness));
        server.createContext("/", e -> handle(e, x -> respond(x, 404, "text/plain",
                "not found; try /metrics, /health/live, /health/ready\n")));
        server.setExecutor(executor);
        server.start();
    }

    /**
     * Binds all interfaces on {@code port} (0 = any free port, see {@link #port()}) and starts serving.
     *
     * @throws UncheckedIOException when the port cannot be bound
     */
    public static MetricsHttpServer start(int port, PrometheusMeterRegistry registry, BooleanSupplier ready) {
        return start(port, registry, ready, () -> "");
    }

    /**
     * As {@link #start(int, PrometheusMeterRegistry, BooleanSupplier)}, with {@code detail} (lines, possibly
     * none) appended to every {@code /health/ready} answer: the processor lists its halted partitions there.
     */
    public static MetricsHttpServer start(int port, PrometheusMeterRegistry registry, BooleanSupplier ready,
                                          Supplier<String> detail) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
            MetricsHttpServer s = new MetricsHttpServer(server, registry, ready, detail);
            log.info("metrics and health on port {}", s.port());
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on HTTP port " + port + " for metrics and health ("
                    + e.getMessage() + "); set --http-port / TALLY_METRICS_PORT to a free port", e);
        }
    }

    /** The bound port. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** From now on {@code /health/ready} answers 503, so that nothing new is routed here while stopping. */
    public void drain() {
        draining = true;
    }

    public boolean ready() {
        return !draining && ready.getAsBoolean();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    private static void handle(HttpExchange exchange, Handler handler) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                respond(exchange, 405, "text/plain", "method not allowed\n");
                return;
            }
            handler.handle(exchange);
        } catch (RuntimeException e) {
            log.warn("HTTP {} failed: {}", exchange.getRequestURI(), e.toString());
            respond(exchange, 500, "text/plain", "internal error\n");
        }
    }

    private void metrics(HttpExchange exchange) throws IOException {
        respond(exchange, 200, PROMETHEUS_TEXT, registry.scrape());
    }

    private void readiness(HttpExchange exchange) throws IOException {
        boolean ok = ready();
        String state = ok ? "ready\n" : (draining ? "shutting down\n" : "not ready\n");
        respond(exchange, ok ? 200 : 503, "text/plain", state + detail.get());
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
