package io.tally.app.service;

import io.javalin.http.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.server.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code api-max-in-flight-per-token}: the requests one bearer token has in the service at once, from the token's
 * acceptance until Jetty has finished the answer (written, failed, or the client gone; a read-your-writes wait holds
 * its slot until it is answered), so that one token holder, from however many addresses, cannot take every
 * connection and request thread from the other tokens. Beyond the cap a request is refused at once with 429, before
 * its body is read. Each token has one counter, found by the index {@link ApiTokens#match} gives; metrics
 * ({@code tally_api_requests_in_flight}, {@code tally_api_requests_refused_total}) and the log name a token by its
 * label, never the token, and the log says at most once a minute per token that its requests are refused.
 */
final class TokenInFlight implements AutoCloseable {
    static final String SETTING = "api-max-in-flight-per-token";
    static final String REASON = "token_busy";
    private static final Logger log = LoggerFactory.getLogger(TokenInFlight.class);
    private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final int cap;
    private final Slot[] slots;
    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();

    /** One token's count of requests in flight, its refusals, and when its next refusal may be logged. */
    private static final class Slot {
        final String label;
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicLong nextWarn = new AtomicLong(System.nanoTime());
        Counter refused;

        Slot(String label) {
            this.label = label;
        }
    }

    /**
     * @param cap the most requests one token may have in flight; 0, or at or above {@code maxConnections} (a token
     *            could never reach it: a connection carries one request at a time), counts nothing
     */
    TokenInFlight(ApiTokens tokens, int cap, int maxConnections, MeterRegistry registry, String namespace) {
        this.cap = cap == 0 || cap >= maxConnections ? 0 : cap;
        this.registry = registry;
        this.slots = new Slot[this.cap == 0 ? 0 : tokens.slots()];
        for (int i = 0; i < slots.length; i++) {
            Slot slot = new Slot(tokens.label(i));
            slots[i] = slot;
            meters.add(Gauge.builder("tally.api.requests.in.flight", slot.inFlight, AtomicInteger::get)
                    .description("Requests of one bearer token in the service now (at most " + SETTING + ")")
                    .tag("namespace", namespace).tag("token", slot.label).register(registry));
            slot.refused = Counter.builder("tally.api.requests.refused")
                    .description("Requests refused with 429 before they were read, by reason and bearer token label")
                    .tag("namespace", namespace).tag("reason", REASON).tag("token", slot.label).register(registry);
            meters.add(slot.refused);
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
        Slot slot = slots[index];
        if (slot.inFlight.incrementAndGet() > cap) {
            slot.inFlight.decrementAndGet();
            refused(slot);
            throw new ApiProblem(429, "Too many requests", "this bearer token has " + cap + " requests in flight, "
                    + "the most one token may have at once (" + SETTING + "); retry after 1 s, or send fewer "
                    + "requests at once", null).with("reason", REASON).header("Retry-After", "1");
        }
        try {
            // Jetty calls it exactly once, when the answer is written, fails, or the client is gone
            Request.addCompletionListener(ServletContextRequest.getServletContextRequest(ctx.req()),
                    failure -> slot.inFlight.decrementAndGet());
        } catch (RuntimeException e) {
            slot.inFlight.decrementAndGet();
            throw e;
        }
    }

    /** Requests of token {@code index} in flight now (0 when no cap is set). */
    int inFlight(int index) {
        return cap == 0 ? 0 : slots[index].inFlight.get();
    }

    private void refused(Slot slot) {
        slot.refused.increment();
        long now = System.nanoTime();
        long next = slot.nextWarn.get();
        if (now - next >= 0 && slot.nextWarn.compareAndSet(next, now + WARN_EVERY_NANOS)) {
            log.warn("bearer token {} has {} requests in flight, the most one token may have ({}): its further "
                    + "requests are answered 429 (logged at most once a minute per token; "
                    + "tally_api_requests_refused_total counts each)", slot.label, cap, SETTING);
        }
    }

    /** Removes the meters from the registry. */
    @Override
    public void close() {
        meters.forEach(registry::remove);
    }
}
