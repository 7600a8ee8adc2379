package io.tally.app.service;

import io.javalin.http.Context;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.server.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code api-max-in-flight-per-token}: the requests one bearer token has in the service at once, from the token's
 * acceptance until Jetty has finished the answer (written, failed, or the client gone; a read-your-writes wait holds
 * its slot until it is answered), so that one token holder, from however many addresses, cannot take every
 * connection and request thread from the other tokens. Beyond the cap a request is refused at once with 429, before
 * its body is read. Each token has one counter, found by the index {@link ApiTokens#match} gives; metrics
 * ({@code tally_api_requests_in_flight}, {@code tally_api_requests_refused_total}) and the log name a token by its
 * label, never the token, and the log says at most once a minute per token that its requests are refused
 * ({@link TokenRefusals}).
 */
final class TokenInFlight implements AutoCloseable {
    static final String SETTING = "api-max-in-flight-per-token";
    static final String REASON = "token_busy";
    private static final Logger log = LoggerFactory.getLogger(TokenInFlight.class);

    private final int cap;
    /** Each token's count of requests in flight. */
    private final AtomicInteger[] inFlight;
    private final TokenRefusals refusals;
    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();

    /**
     * @param cap the most requests one token may have in flight; 0, or at or above {@code maxConnections} (a token
     *            could never reach it: a connection carries one request at a time), counts nothing
     */
    TokenInFlight(ApiTokens tokens, int cap, int maxConnections, MeterRegistry registry, String namespace) {
        this.cap = cap == 0 || cap >= maxConnections ? 0 : cap;
        this.registry = registry;
        this.refusals = new TokenRefusals(tokens, this.cap > 0, REASON, log, registry, namespace);
        this.inFlight = new AtomicInteger[this.cap == 0 ? 0 : tokens.slots()];
        for (int i = 0; i < inFlight.length; i++) {
            inFlight[i] = new AtomicInteger();
            meters.add(Gauge.builder("tally.api.requests.in.flight", inFlight[i], AtomicInteger::get)
                    .description("Requests of one bearer token in the service now (at most " + SETTING + ")")
                    .tag("namespace", namespace).tag("token", refusals.label(i)).register(registry));
        }
    }

    /** Whether a cap is set. */
    boolean capped() {
        return cap > 0;
    }

    /**
     * Counts the request of token {@code index} until its answer is finished.
     *
     * @throws ApiProblem 429 when the token already has the cap of requests in flight
     */
    void admit(Context ctx, int index) {
        if (cap == 0) {
            return;
        }
        AtomicInteger count = inFlight[index];
        if (count.incrementAndGet() > cap) {
            count.decrementAndGet();
            refusals.refused(index, "bearer token {} has {} requests in flight, the most one token may have ({}): its "
                    + "further requests are answered 429", cap, SETTING);
            throw new ApiProblem(429, "Too many requests", "this bearer token has " + cap + " requests in flight, "
                    + "the most one token may have at once (" + SETTING + "); retry after 1 s, or send fewer "
                    + "requests at once", null).with("reason", REASON).header("Retry-After", "1");
        }
        try {
            // Jetty calls it exactly once, when the answer is written, fails, or the client is gone
            Request.addCompletionListener(ServletContextRequest.getServletContextRequest(ctx.req()),
                    failure -> count.decrementAndGet());
        } catch (RuntimeException e) {
            count.decrementAndGet();
            throw e;
        }
    }

    /** Requests of token {@code index} in flight now (0 when no cap is set). */
    int inFlight(int index) {
        return cap == 0 ? 0 : inFlight[index].get();
    }

    /** Removes the meters from the registry. */
    @Override
    public void close() {
        meters.forEach(registry::remove);
        refusals.close();
    }
}
