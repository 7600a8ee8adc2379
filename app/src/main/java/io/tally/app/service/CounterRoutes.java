package io.tally.app.service;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.tally.common.model.OpKind;
import io.tally.common.internal.wire.WireFormat;
import io.tally.producer.internal.read.CounterSeries;
import io.tally.producer.read.CounterPage;
import io.tally.producer.read.CounterValue;
import io.tally.producer.internal.read.StreamIds;
import io.tally.producer.read.TallyReader;
import io.tally.producer.read.UnreadableCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * {@code /v1/counters}: operations (202 once the entry is in the partition's stream), the applied
 * value (optionally after a given entry has been applied: read-your-writes) with the unique estimate
 * when the counter has one, the list (a counter whose stored value Tally cannot read is listed apart, under
 * {@code unreadable}, with one WARN line per page, so that it hides no other counter), and delete. A counter exists when it has a total or a
 * HyperLogLog ({@code unique} entries only: value 0). A read-your-writes wait holds no thread
 * ({@link AppliedWaits}); the read after it runs on the server's request threads.
 */
final class CounterRoutes implements Routes {
    private static final Logger log = LoggerFactory.getLogger(CounterRoutes.class);
    /** A listing client paging over a counter it cannot read would log it once per page. */
    private final ThrottledWarning unreadableWarning = new ThrottledWarning(log, Duration.ofSeconds(10),
            InstantSource.system());
    static final int MAX_WAIT_MS = 30_000;

    private final Sends sends;
    private final JsonBodies bodies;
    private final TallyReader reader;
    private final CounterSeries series;
    private final AppliedWaits waits;
    private final Problems problems;
    private final Executor requestThreads;

    CounterRoutes(Sends sends, JsonBodies bodies, TallyReader reader, CounterSeries series, AppliedWaits waits,
                  Problems problems, Executor requestThreads) {
        this.sends = sends;
        this.bodies = bodies;
        this.reader = reader;
        this.series = series;
        this.waits = waits;
        this.problems = problems;
        this.requestThreads = requestThreads;
    }

    @Override
    public void register(RoutesConfig routes) {
        for (OpKind kind : OpKind.values()) {
            routes.post("/v1/counters/{name}/" + kind.wireName(), ctx -> operate(ctx, kind));
        }
        routes.get("/v1/counters/{name}", this::get);
        routes.delete("/v1/counters/{name}", this::delete);
        routes.get("/v1/counters", this::list);
    }

    private void operate(Context ctx, OpKind kind) {
        String name = ctx.pathParam("name");
        sends.send(ctx, sends.op(kind, name, bodies.object(ctx), ""));
    }

    private void get(Context ctx) {
        String name = ctx.pathParam("name");
        String after = Queries.single(ctx, "after");
        if (after == null) {
            answer(ctx, name, null);
            return;
        }
        try {
            StreamIds.parse(after);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("after", "query parameter 'after': " + e.getMessage());
        }
        long waitMs = waitMs(ctx);
        WireFormat.checkName("counter", name);
        CompletableFuture<Boolean> applied = waits.await(reader.partitionOf(name), after, waitMs);
        ctx.future(() -> applied.thenAcceptAsync(a -> answer(ctx, name, a), requestThreads)
                .exceptionally(error -> {
                    problems.write(ctx, Problems.of(error));
                    return null;
                }));
    }

    private void answer(Context ctx, String name, Boolean applied) {
        CounterValue value = reader.counter(name);
        OptionalLong unique = series.uniqueIfPresent(name);
        if (!value.exists() && unique.isEmpty()) {
            throw ApiProblem.notFound("counter '" + name + "' does not exist (never written, not applied yet, or "
                    + "deleted); its value reads as 0").with("name", name).with("value", 0)
                    .with("partition", value.partition()).with("applied", applied);
        }
        Map<String, Object> body = json(value);
        if (unique.isPresent()) {
            body.put("unique", unique.getAsLong());
        }
        if (applied != null) {
            body.put("applied", applied);
        }
        ctx.json(body);
    }

    private static long waitMs(Context ctx) {
        String raw = Queries.single(ctx, "waitMs");
        if (raw == null) {
            return 5000;
        }
        try {
            long v = Long.parseLong(raw);
            if (v >= 0 && v <= MAX_WAIT_MS) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw ApiProblem.badRequest("waitMs", "query parameter 'waitMs' must be an integer from 0 to " + MAX_WAIT_MS);
    }

    private void delete(Context ctx) {
        String name = ctx.pathParam("name");
        if (!reader.deleteCounter(name)) {
            throw ApiProblem.notFound("counter '" + name + "' does not exist");
        }
        ctx.status(204);
    }

    private void list(Context ctx) {
        int limit = Queries.intParam(ctx, "limit", 100, 1, TallyReader.MAX_PAGE_LIMIT);
        CounterPage page;
        try {
            page = reader.counterPage(Queries.single(ctx, "prefix"), Queries.single(ctx, "cursor"), limit);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("cursor", e.getMessage());
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("counters", page.counters().stream().map(CounterRoutes::json).toList());
        if (!page.unreadable().isEmpty()) {
            body.put("unreadable", page.unreadable().stream().map(CounterRoutes::json).toList());
            unreadableWarning.warn("{} counter(s) of a page of GET /v1/counters have a stored value Tally cannot read "
                    + "and were listed under unreadable (first: {})", page.unreadable().size(),
                    page.unreadable().get(0).detail());
        }
        if (page.cursor() != null) {
            body.put("cursor", page.cursor());
        }
        ctx.json(body);
    }

    /** A counter the listing could not read: its name and key, and the detail a read of it alone answers with 502. */
    private static Map<String, Object> json(UnreadableCounter u) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", u.name());
        body.put("key", u.key());
        body.put("detail", Problems.unreadableDetail(u.detail()));
        return body;
    }

    private static Map<String, Object> json(CounterValue v) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", v.name());
        body.put("value", v.value());
        body.put("partition", v.partition());
        return body;
    }
}
