package io.tally.app.runtime;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tally.app.http.ConnectionBounds;
import io.tally.app.http.RequestReadDeadline;
import io.tally.app.metrics.ScrapeFormat;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The small HTTP server of a process: {@code GET /metrics} (OpenMetrics when the scrape's {@code Accept}
 * asks for it, else the Prometheus text format 0.0.4; see {@link ScrapeFormat}),
 * {@code GET /health/live} (200 while the process serves) and {@code GET /health/ready} (200 while
 * the readiness check passes and {@link #drain()} has not been called, else 503).
 *
 * <p>A liveness probe must not fail because of other clients, or a healthy process gets restarted.
 * So the server is Jetty (the one Javalin brings), whose selector reads requests without holding a
 * thread per connection, with every resource bounded: {@link Limits#maxConnections} open connections,
 * {@link Limits#maxThreads} threads, {@link Limits#requestReadTimeout} to deliver a request (see
 * {@link RequestReadDeadline}) and {@link Limits#idleTimeout} of silence.
 */
public final class MetricsHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsHttpServer.class);

    /**
     * The bounds of the server.
     *
     * @param requestReadTimeout longest time from a request's first byte to its last
     * @param idleTimeout        longest silence on a connection, between requests or within one
     * @param maxThreads         threads of the server, its acceptor and selector included
     * @param maxConnections     connections open at once; beyond it new ones wait in the accept backlog
     *                           and idle ones are closed after a second
     */
    public record Limits(Duration requestReadTimeout, Duration idleTimeout, int maxThreads, int maxConnections) {
        /** 5 s to send a request, 30 s idle (above Prometheus' 15 s scrape interval), 8 threads, 256 connections. */
        public static final Limits DEFAULT = new Limits(Duration.ofSeconds(5), Duration.ofSeconds(30), 8, 256);
    }

    private final Server server;
    private final ServerConnector connector;
    private final ConnectionBounds bounds;
    private final PrometheusMeterRegistry registry;
    private final BooleanSupplier ready;
    private final Supplier<String> detail;
    private volatile boolean draining;

    private MetricsHttpServer(String host, int port, Limits limits, PrometheusMeterRegistry registry,
                              BooleanSupplier ready, Supplier<String> detail) {
        this.registry = registry;
        this.ready = ready;
        this.detail = detail;
        // The job queue is Jetty's unbounded default: the connection bounds below keep it small (a connection
        // queues a few jobs at most), and a bounded one may refuse a job Jetty needs run (Jetty warns of it).
        QueuedThreadPool threads = new QueuedThreadPool(limits.maxThreads(), 2, 60_000);
        threads.setName("tally-http");
        threads.setDaemon(true);
        threads.setReservedThreads(0);
        this.server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        this.connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(limits.idleTimeout().toMillis());
        this.bounds = ConnectionBounds.apply(server, connector, limits.requestReadTimeout(), limits.maxConnections());
        server.addConnector(connector);
        ErrorHandler errors = new ErrorHandler();
        errors.setShowStacks(false);
        errors.setShowCauses(false);
        server.setErrorHandler(errors);
        server.setHandler(new Routes());
    }

    /**
     * Listens on {@code host} and {@code port} (0 = any free port, see {@link #port()}) with the
     * {@link Limits#DEFAULT default limits} and starts serving.
     *
     * @throws UncheckedIOException when the address cannot be bound
     */
    public static MetricsHttpServer start(String host, int port, PrometheusMeterRegistry registry, BooleanSupplier ready) {
        return start(host, port, registry, ready, () -> "");
    }

    /**
     * As {@link #start(String, int, PrometheusMeterRegistry, BooleanSupplier)}, with {@code detail} (lines,
     * possibly none) appended to every {@code /health/ready} answer: the processor names a pause and its
     * halted partitions there.
     */
    public static MetricsHttpServer start(String host, int port, PrometheusMeterRegistry registry, BooleanSupplier ready,
                                          Supplier<String> detail) {
        return start(host, port, Limits.DEFAULT, registry, ready, detail);
    }

    /** As {@link #start(String, int, PrometheusMeterRegistry, BooleanSupplier, Supplier)} with other limits. */
    public static MetricsHttpServer start(String host, int port, Limits limits, PrometheusMeterRegistry registry,
                                          BooleanSupplier ready, Supplier<String> detail) {
        MetricsHttpServer s = new MetricsHttpServer(host, port, limits, registry, ready, detail);
        try {
            s.server.start();
        } catch (Exception e) {
            s.close();
            throw new UncheckedIOException("cannot listen on " + host + ":" + port + " for metrics and health ("
                    + e.getMessage() + "); set --metrics-host / TALLY_METRICS_HOST and --metrics-port / TALLY_METRICS_PORT "
                    + "to a free address", e instanceof IOException io ? io : new IOException(e));
        }
        log.info("metrics and health on http://{}:{}", host, s.port());
        return s;
    }

    /** The bound port. */
    public int port() {
        return connector.getLocalPort();
    }

    /** The bound address. */
    public InetSocketAddress address() {
        try {
            return (InetSocketAddress) ((ServerSocketChannel) connector.getTransport()).getLocalAddress();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
        try {
            server.stop();
        } catch (Exception e) {
            log.debug("stopping the metrics server: {}", e.toString());
        }
        bounds.close();
    }

    private final class Routes extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            String method = request.getMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
                respond(response, callback, 405, "text/plain", "method not allowed\n");
                return true;
            }
            String path = Request.getPathInContext(request);
            try {
                switch (path) {
                    case "/metrics" -> metrics(request, response, callback);
                    case "/health/live" -> respond(response, callback, 200, "text/plain", "live\n");
                    case "/health/ready" -> readiness(response, callback);
                    default -> respond(response, callback, 404, "text/plain",
                            "not found; try /metrics, /health/live, /health/ready\n");
                }
            } catch (RuntimeException e) {
                log.warn("HTTP {} failed: {}", path, e.toString());
                respond(response, callback, 500, "text/plain", "internal error\n");
            }
            return true;
        }

        private void metrics(Request request, Response response, Callback callback) {
            ScrapeFormat format = ScrapeFormat.negotiate(
                    String.join(",", request.getHeaders().getValuesList(HttpHeader.ACCEPT)));
            // caches must not answer one format's request with the other's
            response.getHeaders().put(HttpHeader.VARY, HttpHeader.ACCEPT.asString());
            respond(response, callback, 200, format.contentType(), format.scrape(registry));
        }

        private void readiness(Response response, Callback callback) {
            boolean ok = ready();
            String state = ok ? "ready\n" : (draining ? "shutting down\n" : "not ready\n");
            respond(response, callback, ok ? 200 : 503, "text/plain", state + detail.get());
        }
    }

    private static void respond(Response response, Callback callback, int status, String type, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }
}
