package io.tally.app.service;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.javalin.Javalin;
import io.javalin.http.HandlerType;
import io.javalin.json.JavalinJackson;
import io.javalin.router.ParsedEndpoint;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tally.app.http.ConnectionBounds;
import io.tally.common.config.TallyConfig;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.internal.read.CounterSeries;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.read.RedisTallyReader;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.producer.read.TallyReader;
import io.tally.producer.triggers.TriggerClient;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * The HTTP ingest service: Javalin over a {@link TallyProducer} and a {@link TallyReader}. Every
 * {@code /v1} request needs a bearer token from {@link ApiTokens}; health and metrics do not. Each
 * resource is one {@link Routes} class; add a resource by adding one to {@link #resources} and
 * describing it in {@code openapi.json} ({@code OpenApiTest} checks both agree). Connections are bounded
 * ({@link ConnectionBounds}: {@code api-max-connections}, {@code api-max-connections-per-client},
 * {@code api-request-read-timeout-ms}) below the number of request threads, so slow clients never starve
 * {@code /health/live}; clients without a token hold no connection for long ({@link Auth} closes a 401's, and at
 * the connection limit {@link TokenlessAtConnectionLimit} closes every tokenless answer's and
 * {@link ConnectionBounds} every connection that has not delivered a request head within a second); and so are
 * one token's requests in flight ({@link TokenInFlight}:
 * {@code api-max-in-flight-per-token}), so one token holder, from however many addresses, leaves room for the others,
 * and the operations it sends a second ({@link TokenRate}: {@code api-max-ops-per-second-per-token}), so that it
 * leaves room in the partitions' backlogs too.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    private static final String LOOPBACK = "127.0.0.1";
    /** Threads beyond one per connection: Jetty's acceptor and selectors, and a margin. */
    private static final int THREAD_HEADROOM = 32;
    /** Silence after which a connection is closed, between requests or within one. */
    private static final long IDLE_TIMEOUT_MS = 30_000;
    /** Time beyond send-timeout-ms for a request cut off by its read timeout to be answered. */
    private static final Duration ANSWER_MARGIN = Duration.ofSeconds(5);

    private final RedissonClient redis;
    private final TallyProducer producer;
    /** Whether Redis refuses the sends now, for readiness; the producer reports to it. */
    private final SendRefusals sendRefusals;
    private final RedisTallyReader reader;
    private final TriggerClient triggers;
    private final AppliedWaits waits;
    private final PrometheusMeterRegistry registry;
    private final Gauge openWaits;
    private final HttpRequestMetrics requestMetrics;
    private final TokenInFlight tokenInFlight;
    private final TokenRate tokenRate;
    private final Problems problems;
    private final Javalin app;
    /** Set while the server starts (its connector is built then). */
    private volatile ConnectionBounds bounds;
    private final List<String> endpoints = new CopyOnWriteArrayList<>();

    /**
     * Starts the service on a shared Redis client (left open by {@link #close()}).
     *
     * @param config   Redis, namespace, producer and {@code api-*} settings
     * @param tokens   accepted bearer tokens
     * @param metrics  the producer's metrics binding ({@link ProducerMetrics#NOOP} for none)
     * @param registry the registry {@code GET /metrics} scrapes
     */
    public ApiServer(RedissonClient redis, TallyConfig config, ApiTokens tokens, ProducerMetrics metrics,
                     PrometheusMeterRegistry registry) {
        this(redis, config, tokens, metrics, registry, System::nanoTime);
    }

    /** As the public constructor, with the clock that fills the tokens' buckets of operations ({@link TokenRate}). */
    ApiServer(RedissonClient redis, TallyConfig config, ApiTokens tokens, ProducerMetrics metrics,
              PrometheusMeterRegistry registry, LongSupplier rateClock) {
        this.redis = redis;
        this.sendRefusals = new SendRefusals(metrics);
        this.producer = RedisTallyProducer.create(redis, false, config, sendRefusals);
        this.reader = RedisTallyReader.open(redis, config);
        this.triggers = RedisTriggerClient.create(redis, config, InstantSource.system());
        this.waits = new AppliedWaits(reader, config.get(TallyConfig.API_MAX_WAITS));
        this.registry = registry;
        this.openWaits = Gauge.builder("tally.api.waits", waits, AppliedWaits::open)
                .description("Read-your-writes waits open now (at most api-max-waits; beyond, a wait is answered 503)")
                .tag("namespace", config.namespace()).register(registry);
        this.requestMetrics = new HttpRequestMetrics(registry, config.namespace(), this::route);
        this.tokenInFlight = new TokenInFlight(tokens, config.get(TallyConfig.API_MAX_IN_FLIGHT_PER_TOKEN),
                config.get(TallyConfig.API_MAX_CONNECTIONS), registry, config.namespace());
        this.tokenRate = new TokenRate(tokens, config.get(TallyConfig.API_MAX_OPS_PER_SECOND_PER_TOKEN),
                config.get(TallyConfig.API_MAX_OPS_BURST_PER_TOKEN), registry, config.namespace(), rateClock);
        ObjectMapper json = strictJson();
        this.problems = new Problems(json);
        List<Routes> routes = new ArrayList<>(List.of(problems, new RequestIds(),
                new TokenlessAtConnectionLimit(tokens, this::atConnectionLimit), new StrictPaths(),
                new Auth(tokens, tokenInFlight)));
        routes.addAll(resources(config, json, problems, registry, tokens.insecure()));
        String host = listenHost(config, tokens);
        this.app = javalin(config, host, json, routes);
        try {
            app.start();
        } catch (RuntimeException e) {
            closeBounds();
            registry.remove(openWaits);
            requestMetrics.close();
            tokenInFlight.close();
            tokenRate.close();
            waits.close();
            producer.close();
            throw e;
        }
        announce(host, config, tokens);
    }

    /** Starts the 503 WARN lines' rate limits afresh, for a test that asserts the line of each failure it causes. */
    void forgetLoggedWarnings() {
        problems.forgetLoggedWarnings();
    }

    /** The Javalin instance of {@code routes}, listening on {@code host} once started. */
    private Javalin javalin(TallyConfig config, String host, ObjectMapper json, List<Routes> routes) {
        JettyProblems jettyProblems = new JettyProblems(json);
        return Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.startup.startupWatcherEnabled = false;
            cfg.jsonMapper(new JavalinJackson(json, false));
            cfg.requestLogger.http(requestMetrics::record);
            cfg.http.maxRequestSize = config.get(TallyConfig.API_MAX_BODY_BYTES);
            // A known path with another method is a 405 with Allow (Problems), not a 404 "no endpoint".
            cfg.http.prefer405over404 = true;
            // Ambiguous paths (an encoded '/') reach StrictPaths, which names the rule they break; Jetty refuses
            // the others (bytes that are not UTF-8, raw non-ASCII) and JettyProblems answers them in the same words.
            cfg.jetty.modifyHttpConfiguration(http -> http.setUriCompliance(UriCompliance.LEGACY));
            cfg.jetty.modifyServer(server -> server.setErrorHandler(jettyProblems));
            cfg.jetty.threadPool = requestThreads(config);
            cfg.jetty.addConnector((server, http) -> boundedConnector(server, http, host, config));
            cfg.jetty.modifyServletContextHandler(context -> context.setErrorHandler(jettyProblems));
            cfg.events.handlerAdded(h -> {
                if (h.getHttpMethod().isHttpMethod()) {
                    endpoints.add(h.getHttpMethod() + " " + h.getPath());
                }
            });
            routes.forEach(r -> r.register(cfg.routes));
        });
    }

    /**
     * One request thread per connection the service may hold, plus room for Jetty's acceptor and selectors: a
     * request that waits for its body holds its thread, so slow clients can hold connections but never take the
     * thread a health probe needs.
     */
    private static QueuedThreadPool requestThreads(TallyConfig config) {
        QueuedThreadPool threads = new QueuedThreadPool(config.get(TallyConfig.API_MAX_CONNECTIONS) + THREAD_HEADROOM,
                8, 60_000);
        threads.setName("tally-api");
        return threads;
    }

    /**
     * The service's connector: at most api-max-connections, api-max-connections-per-client from one address, each
     * request delivered within its read timeout. A handler reading a body past the read timeout has send-timeout-ms
     * and a margin to answer (a batch waits for the lines it sent, then says what it wrote).
     */
    private ServerConnector boundedConnector(Server server, HttpConfiguration http, String host, TallyConfig config) {
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(config.get(TallyConfig.API_PORT));
        connector.setIdleTimeout(IDLE_TIMEOUT_MS);
        bounds = ConnectionBounds.apply(server, connector,
                Duration.ofMillis(config.get(TallyConfig.API_REQUEST_READ_TIMEOUT_MS)),
                Duration.ofMillis(config.get(TallyConfig.SEND_TIMEOUT_MS)).plus(ANSWER_MARGIN),
                config.get(TallyConfig.API_MAX_CONNECTIONS), config.get(TallyConfig.API_MAX_CONNECTIONS_PER_CLIENT));
        return connector;
    }

    /** Whether the service holds api-max-connections, so that new connections wait in the accept backlog. */
    private boolean atConnectionLimit() {
        ConnectionBounds b = bounds;
        return b != null && b.atConnectionLimit();
    }

    private void closeBounds() {
        if (bounds != null) {
            bounds.close();
        }
    }

    /** Logs where the service listens, and warns loudly when it accepts every request. */
    private void announce(String host, TallyConfig config, ApiTokens tokens) {
        log.info("tally service listening on http://{}:{} (namespace '{}', {} partitions, {})",
                host, app.port(), config.namespace(), reader.partitions(),
                tokens.insecure() ? "INSECURE: no token required" : tokens.count() + " API token(s)");
        if (tokens.insecure()) {
            log.warn("INSECURE: --insecure is set and no API token is configured, so every request on "
                    + "http://{}:{} is accepted without a token, writes included. For local trials only: configure "
                    + "TALLY_API_TOKENS or --api-tokens-file for anything else.", host, app.port());
        }
    }

    /**
     * The address to listen on: {@code api-host}, except that a service accepting every request
     * ({@code --insecure} without tokens) stays on loopback unless an address was given explicitly.
     */
    static String listenHost(TallyConfig config, ApiTokens tokens) {
        return tokens.insecure() && !config.isSet(TallyConfig.API_HOST) ? LOOPBACK : config.get(TallyConfig.API_HOST);
    }

    /**
     * The JSON mapper of request bodies (and NDJSON lines): trailing data after the value and a key
     * given twice are errors, not silently dropped or overwritten; a number keeps the text it was sent as
     * ({@link ExactNumbers}).
     */
    static ObjectMapper strictJson() {
        return JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).addModule(ExactNumbers.module()).build();
    }

    /** The resources of the API, in the order {@link #endpoints()} lists them. */
    private List<Routes> resources(TallyConfig config, ObjectMapper json, Problems problems,
                                   PrometheusMeterRegistry registry, boolean insecure) {
        // Reads after a read-your-writes wait run on the server's request threads, never on Redis's.
        Executor requestThreads = task -> app.jettyServer().server().getThreadPool().execute(task);
        JsonBodies bodies = new JsonBodies(json, config.get(TallyConfig.API_MAX_BODY_BYTES));
        Sends sends = new Sends(producer, problems, config.get(TallyConfig.SERIES_WINDOWS), tokenRate);
        CounterSeries series = CounterSeries.create(redis, reader.keys(), reader.partitions(),
                config.get(TallyConfig.SERIES_WINDOWS));
        List<Routes> routes = new ArrayList<>();
        routes.add(new HealthRoutes(redis, reader.keys(), registry, insecure, sendRefusals));
        routes.add(new CounterRoutes(sends, bodies, reader, series, waits, problems, requestThreads));
        routes.add(new SeriesRoutes(series, InstantSource.system()));
        routes.add(new EventRoutes(sends, bodies));
        routes.add(new BatchRoutes(sends, problems, bodies, config.get(TallyConfig.API_MAX_BODY_BYTES),
                config.get(TallyConfig.API_MAX_BATCH_BYTES), config.get(TallyConfig.API_MAX_INVALID_LINES),
                new BatchLineRoom(config.get(TallyConfig.PRODUCER_BUFFER), config.get(TallyConfig.PRODUCER_BUFFER_BYTES),
                        config.get(TallyConfig.SEND_TIMEOUT_MS)), tokenRate));
        routes.add(new FiringRoutes(reader));
        routes.add(new TriggerRoutes(triggers, bodies, json));
        routes.add(new OpenApiRoutes());
        return routes;
    }

    /** The template of the route that {@code method} and {@code path} match, or null. */
    private String route(String method, String path) {
        ParsedEndpoint endpoint = app.unsafe.internalRouter.findFirstHttpHandlerEntry(HandlerType.findOrDefault(method),
                path);
        return endpoint == null ? null : endpoint.endpoint.path;
    }

    /** The port the service listens on (useful with port 0). */
    public int port() {
        return app.port();
    }

    /** The address the service listens on. */
    InetSocketAddress boundAddress() throws IOException {
        return (InetSocketAddress) ((ServerSocketChannel) connector().getTransport()).getLocalAddress();
    }

    /** The connector the service listens on, with its connections and (through its server) request threads. */
    ServerConnector connector() {
        return (ServerConnector) app.jettyServer().server().getConnectors()[0];
    }

    /** Every endpoint registered, as {@code "GET /v1/counters/{name}"}, in registration order. */
    List<String> endpoints() {
        return List.copyOf(endpoints);
    }

    /** Read-your-writes waits open now. */
    int openWaits() {
        return waits.open();
    }

    /** Requests of the token at {@code index} (of {@link ApiTokens}) in flight now; 0 when no cap is set. */
    int inFlight(int index) {
        return tokenInFlight.inFlight(index);
    }

    public TallyReader reader() {
        return reader;
    }

    /** Stops accepting requests and flushes the producer; the shared Redis client stays open. */
    @Override
    public void close() {
        waits.close(); // first: the waits it ends are answered while the server still runs
        app.stop();
        closeBounds();
        registry.remove(openWaits);
        requestMetrics.close();
        tokenInFlight.close();
        tokenRate.close();
        producer.close();
        triggers.close();
    }
}
