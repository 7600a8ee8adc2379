package io.tally.app.service;

import io.javalin.http.Context;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * {@code api-max-ops-per-second-per-token} and {@code api-max-ops-burst-per-token}: the operations and events one
 * bearer token may send, a token bucket per token that holds at most the burst and fills at the rate. Without it one
 * token holder could fill a partition's backlog up to {@code backlog-limit}, and every token's sends to that
 * partition would then be answered 503. Each operation sent takes one token before it is handed to the producer
 * (a single send after its body is parsed, each line of a batch as it is parsed); an operation that finds the bucket
 * empty is not sent. Other tokens have buckets of their own.
 *
 * <p>The bucket is kept as the time it would be full again (the generic cell rate algorithm): one atomic number per
 * token, lock-free, with no timer filling it.
 */
final class TokenRate implements AutoCloseable {
    static final String RATE_SETTING = "api-max-ops-per-second-per-token";
    static final String BURST_SETTING = "api-max-ops-burst-per-token";
    static final String REASON = "token_rate";
    private static final Logger log = LoggerFactory.getLogger(TokenRate.class);
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final int rate;
    private final int burst;
    /** The time one operation's token takes to come back. */
    private final long interval;
    /** How far ahead of now a bucket's full time may be and still hold a token: burst - 1 intervals. */
    private final long tolerance;
    /** Per token: when its bucket is full again (at or before now: it is full). */
    private final AtomicLong[] fullAt;
    private final LongSupplier clock;
    private final TokenRefusals refusals;

    /**
     * @param rate  operations per second one token may send on average; 0: no rate
     * @param burst operations one token may send at once with a full bucket
     */
    TokenRate(ApiTokens tokens, int rate, int burst, MeterRegistry registry, String namespace, LongSupplier nanoClock) {
        this.rate = rate;
        this.burst = burst;
        this.interval = rate == 0 ? 0 : Math.max(1, SECOND / rate);
        this.tolerance = (burst - 1) * interval;
        this.clock = nanoClock;
        this.refusals = new TokenRefusals(tokens, rate > 0, REASON, log, registry, namespace);
        long now = nanoClock.getAsLong();
        this.fullAt = new AtomicLong[rate == 0 ? 0 : tokens.slots()];
        for (int i = 0; i < fullAt.length; i++) {
            fullAt[i] = new AtomicLong(now);
        }
    }

    /**
     * Takes one operation's token from the bucket of the request's token.
     *
     * @throws ApiProblem 429 when the bucket is empty: nothing may be written for the request
     */
    void admit(Context ctx) {
        int index = Auth.token(ctx);
        long wait = take(index);
        if (wait > 0) {
            throw refused(index, "this bearer token passed " + limit() + "; nothing was written: retry after "
                    + seconds(wait) + " s, or send fewer operations a second", wait);
        }
    }

    /**
     * Takes one operation's token from the bucket of token {@code index}.
     *
     * @return 0 when taken, else the nanoseconds until the bucket holds one (nothing was taken)
     */
    long take(int index) {
        if (rate == 0) {
            return 0;
        }
        AtomicLong full = fullAt[index];
        while (true) {
            long now = clock.getAsLong();
            long current = full.get();
            long base = current - now > 0 ? current : now;
            long wait = base - tolerance - now;
            if (wait > 0) {
                return wait;
            }
            if (full.compareAndSet(current, base + interval)) {
                return 0;
            }
        }
    }

    /** The nanoseconds until the bucket of token {@code index} holds its whole burst again (0: it does). */
    long untilFull(int index) {
        return rate == 0 ? 0 : Math.max(0, fullAt[index].get() - clock.getAsLong());
    }

    /**
     * Counts a refusal of token {@code index} (a request, or a batch stopped at a line) and gives its 429, with
     * {@code Retry-After} the whole seconds in {@code waitNanos}, at least 1.
     */
    ApiProblem refused(int index, String detail, long waitNanos) {
        refusals.refused(index, "bearer token {} sends more than {} operations a second ({}, bursts of {}): its "
                + "further operations are answered 429 until it sends fewer", rate, RATE_SETTING, burst);
        return new ApiProblem(429, "Too many requests", detail, null).with("reason", REASON)
                .header("Retry-After", Long.toString(seconds(waitNanos)));
    }

    /** Whole seconds of {@code nanos}, rounded up, at least 1: what {@code Retry-After} says. */
    static long seconds(long nanos) {
        return Math.max(1, (nanos + SECOND - 1) / SECOND);
    }

    /** The bound, as a refusal names it. */
    String limit() {
        return rate + " operations a second, the most one bearer token may send (" + RATE_SETTING + ", in bursts of "
                + "up to " + burst + ": " + BURST_SETTING + ")";
    }

    @Override
    public void close() {
        refusals.close();
    }
}
