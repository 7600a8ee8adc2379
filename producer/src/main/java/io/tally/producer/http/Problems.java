package io.tally.producer.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.tally.common.trigger.InvalidTriggerException;
import io.tally.common.wire.InvalidEntryException;
import io.tally.producer.BackpressureException;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.StreamIdsExhaustedException;
import io.tally.producer.TallyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletionException;

/** Turns every failure of a request into an {@code application/problem+json} answer. */
final class Problems {
    static final String CONTENT_TYPE = "application/problem+json";
    private static final Logger log = LoggerFactory.getLogger(Problems.class);

    private final ObjectMapper json;

    Problems(ObjectMapper json) {
        this.json = json;
    }

    void register(Javalin app) {
        app.exception(ApiProblem.class, (e, ctx) -> write(ctx, e));
        app.exception(InvalidEntryException.class, (e, ctx) -> write(ctx, of(e)));
        app.exception(InvalidTriggerException.class, (e, ctx) -> write(ctx, of(e)));
        app.exception(HttpResponseException.class, (e, ctx) -> write(ctx, of(e, ctx)));
        app.exception(Exception.class, (e, ctx) -> write(ctx, of(e)));
    }

    void write(Context ctx, ApiProblem problem) {
        problem.headers.forEach(ctx::header);
        try {
            ctx.status(problem.status).contentType(CONTENT_TYPE)
                    .result(json.writeValueAsBytes(problem.body(ctx.path())));
        } catch (Exception e) {
            ctx.status(500).result("{\"status\":500}");
        }
    }

    /** Maps a producer or validation failure to its HTTP problem. */
    static ApiProblem of(Throwable e) {
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof ApiProblem p) {
            return p;
        }
        if (e instanceof InvalidEntryException ie) {
            return ApiProblem.badRequest(ie.field(), ie.getMessage()).with("reason", ie.reason());
        }
        if (e instanceof InvalidTriggerException te) {
            return ApiProblem.badRequest(te.field(), te.getMessage());
        }
        if (e instanceof StreamIdsExhaustedException se) {
            // 503 without Retry-After: the service cannot take the send until an operator repairs the stream
            return new ApiProblem(503, "Stream ids exhausted", se.getMessage(), null)
                    .with("reason", "stream_ids_exhausted").with("partition", se.partition())
                    .with("fix", "tally repair stream-ids --partition " + se.partition());
        }
        if (e instanceof BackpressureException be) {
            long seconds = Math.max(1, (be.retryAfterMs() + 999) / 1000);
            return new ApiProblem(503, "Service unavailable", be.getMessage() + "; retry after " + seconds + " s", null)
                    .header("Retry-After", Long.toString(seconds));
        }
        if (e instanceof OutcomeUnknownException) {
            return new ApiProblem(504, "Outcome unknown", e.getMessage(), null);
        }
        if (e instanceof TallyException te && te.retriable()) {
            return new ApiProblem(503, "Service unavailable", e.getMessage() + "; Redis is unavailable, retry later", null)
                    .header("Retry-After", "1");
        }
        log.error("request failed: {}", e.toString(), e);
        return new ApiProblem(500, "Internal server error", "tally service: " + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage()), null);
    }

    private static ApiProblem of(HttpResponseException e, Context ctx) {
        if (e.getStatus() == 404) {
            return ApiProblem.notFound("no endpoint " + ctx.method() + " " + ctx.path() + "; see docs/api.md");
        }
        if (e.getStatus() == 405) {
            return new ApiProblem(405, "Method not allowed", ctx.method() + " is not allowed on " + ctx.path(), null);
        }
        return new ApiProblem(e.getStatus(), "HTTP " + e.getStatus(), e.getMessage(), null);
    }
}
