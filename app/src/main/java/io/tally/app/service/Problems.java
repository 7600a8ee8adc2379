package io.tally.app.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.tally.common.trigger.InvalidTriggerException;
import io.tally.common.trigger.UnreadableTriggerException;
import io.tally.common.model.InvalidEntryException;
import io.tally.common.internal.redis.RedisFailures;
import io.tally.producer.BackpressureException;
import io.tally.producer.DuplicateIdConflictException;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.SendFailedException;
import io.tally.producer.read.UnreadableStateException;
import io.tally.producer.triggers.TriggerLimitException;
import io.tally.producer.StreamIdsExhaustedException;
import io.tally.producer.TallyException;
import io.tally.producer.internal.SendFailureReason;
import org.eclipse.jetty.http.BadMessageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns every failure of a request into an {@code application/problem+json} answer carrying the
 * request's id. What a client or Redis did is a 4xx or a 503 (nothing was written), or a 504 when a send or write may
 * or may not have been written; stored state that another program wrote and Tally cannot read is a 502; never a
 * 500. A 500 is left for the service's own faults (a script error, a bug) and says no more than "see the log under
 * this id".
 * The detail of a failure (Redis's message, the exception) goes to the log under the request id.
 */
final class Problems implements Routes {
    static final String CONTENT_TYPE = "application/problem+json";
    /** The MDC key of the request id (also in JSON log lines). */
    static final String MDC_REQUEST_ID = "requestId";
    /** At most one WARN line per kind of 503 in this long: an outage answers every request with one. */
    static final Duration UNAVAILABLE_WARN_INTERVAL = Duration.ofSeconds(10);
    private static final Logger log = LoggerFactory.getLogger(Problems.class);

    private final ObjectMapper json;
    /** The 503 WARN of each kind (title and failure reason: a few fixed words, so a small map). */
    private final Map<String, ThrottledWarning> unavailableWarnings = new ConcurrentHashMap<>();

    Problems(ObjectMapper json) {
        this.json = json;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.exception(HttpResponseException.class, (e, ctx) -> write(ctx, of(e, ctx)));
        routes.exception(Exception.class, (e, ctx) -> write(ctx, of(e)));
    }

    /** Forgets which 503 WARN lines were logged lately: the next of each kind is logged. */
    void forgetLoggedWarnings() {
        unavailableWarnings.clear();
    }

    /** Answers the problem and logs its cause, if it has one, under the request id. */
    void write(Context ctx, ApiProblem problem) {
        String requestId = RequestIds.of(ctx);
        logCause(ctx, requestId, problem);
        problem.headers.forEach(ctx::header);
        try {
            ctx.status(problem.status).contentType(CONTENT_TYPE)
                    .result(json.writeValueAsBytes(problem.body(ctx.path(), requestId)));
        } catch (Exception e) {
            ctx.status(500).result("{\"status\":500}");
        }
    }

    /**
     * Logs what the problem body leaves out: one WARN line, without stack trace, for what a client or
     * Redis did (4xx, 503); ERROR with the stack trace for the service's own faults (500). The 503s of one kind
     * are rate-limited ({@link ThrottledWarning}): the first, then at most one per {@link #UNAVAILABLE_WARN_INTERVAL}.
     */
    void logCause(Context ctx, String requestId, ApiProblem problem) {
        Throwable cause = problem.getCause();
        if (cause == null) {
            return;
        }
        MDC.put(MDC_REQUEST_ID, requestId);
        try {
            if (problem.status == 500) {
                log.error("request {} {} {} failed ({}): {}", requestId, ctx.method(), ctx.path(), problem.status,
                        cause.toString(), cause);
            } else if (problem.status == 503) {
                unavailableWarnings.computeIfAbsent(warningKind(problem, cause),
                        kind -> new ThrottledWarning(log, UNAVAILABLE_WARN_INTERVAL, InstantSource.system()))
                        .warn("request {} {} {} answered {}: {}", requestId, ctx.method(), ctx.path(), problem.status,
                                chain(cause));
            } else {
                log.warn("request {} {} {} answered {}: {}", requestId, ctx.method(), ctx.path(), problem.status,
                        chain(cause));
            }
        } finally {
            MDC.remove(MDC_REQUEST_ID);
        }
    }

    /**
     * What one throttled 503 WARN line stands for: the problem's title and the failure's reason, and for a denied
     * command the command, for used-up stream ids the stream (bounded sets: Redis's command names, two streams a
     * partition), so that a flood of one denial does not hide another grant to make, nor one partition's another
     * repair to run.
     */
    private static String warningKind(ApiProblem problem, Throwable cause) {
        String reason = SendFailureReason.of(cause);
        return problem.title + " " + reason + faultOfItsKind(reason, cause).map(fault -> " " + fault).orElse("");
    }

    /** Which fault of its reason a failure is, when an operator fixes each apart: the denied command, the stream. */
    private static Optional<String> faultOfItsKind(String reason, Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof StreamIdsExhaustedException se) {
                return Optional.of(se.stream());
            }
            Optional<String> denied = SendFailureReason.NO_PERMISSION.equals(reason)
                    ? RedisFailures.deniedCommand(t.getMessage()) : Optional.empty();
            if (denied.isPresent()) {
                return denied;
            }
        }
        return Optional.empty();
    }

    /**
     * Maps a producer, Redis or validation failure to its HTTP problem. The order matters: the
     * specific answers (a backlog, an outcome unknown) come before the general ones (Redis
     * unavailable, then a 500).
     */
    // Whole on purpose: one ordered list of exception -> answer, where the order is the rule.
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
            // the cause makes logCause log a WARN (throttled per stream): each partition's repair is named
            return new ApiProblem(503, "Stream ids exhausted", se.getMessage(), null, se)
                    .with("reason", "stream_ids_exhausted").with("partition", se.partition())
                    .with("fix", "tally repair stream-ids --partition " + se.partition());
        }
        if (e instanceof UnreadableTriggerException ut) {
            return unreadable(ut);
        }
        if (e instanceof UnreadableStateException us) {
            return unreadable(us);
        }
        if (e instanceof SendFailedException sf && sf.getCause() instanceof UnreadableStateException us) {
            return unreadable(us); // a send to a stream another program made a key of another type
        }
        if (e instanceof TriggerLimitException tl) {
            return new ApiProblem(422, "Trigger limit reached", tl.getMessage(), null)
                    .with("limit", tl.limit()).with("value", tl.value());
        }
        if (e instanceof BackpressureException be) {
            long seconds = Math.max(1, (be.retryAfterMs() + 999) / 1000);
            return ApiProblem.unavailable(be.getMessage(), seconds, null);
        }
        if (e instanceof DuplicateIdConflictException c) {
            return new ApiProblem(409, "Conflict: id reused with another payload", c.getMessage(), "id")
                    .with("id", c.id()).with("originalEntryId", c.originalEntryId());
        }
        if (e instanceof OutcomeUnknownException) {
            return ApiProblem.outcomeUnknown(e.getMessage(), e);
        }
        // Before the Redis checks: its cause is a Redis timeout, but the send may be in the stream.
        if (e instanceof SendFailedException sf && sf.maybeWritten()) {
            return ApiProblem.outcomeUnknown("the send may or may not have been written: Redis did not confirm it "
                    + "within send-timeout-ms; send it again with the same id (a repeat is a duplicate, answered with "
                    + "the original entryId, never a second entry)", e);
        }
        String reason = SendFailureReason.of(e);
        if (reason.equals(SendFailureReason.NO_PERMISSION)) {
            // not the client's fault nor a retry's cure: the service's Redis user lacks a command until an
            // operator grants it; 503 without Retry-After, like other faults only an operator repairs
            return new ApiProblem(503, "Redis refuses a command", "tally service: Redis refuses this service's "
                    + "user a command it needs (NOPERM); nothing was written. An operator must grant it "
                    + "(docs/operations.md lists what each Tally user needs)", null, e).with("reason", "no_permission");
        }
        Optional<String> unavailable = SendFailureReason.unavailableText(reason);
        if (unavailable.isPresent()) {
            return ApiProblem.unavailable("tally service: " + unavailable.get(), 1, e);
        }
        if (e instanceof SendFailedException sf && sf.retriable() && sf.getCause() == null) {
            // the producer's own refusal (the namespace missing, an evicting maxmemory-policy): its text says why
            return ApiProblem.unavailable("tally service: " + sf.getMessage(), 1, e);
        }
        if (e instanceof TallyException te && te.retriable()) {
            return ApiProblem.unavailable("tally service: Redis is unavailable", 1, e);
        }
        if (e instanceof BadMessageException bm && bm.getCode() >= 400 && bm.getCode() < 500) {
            return new ApiProblem(bm.getCode(), "Bad request", "the request could not be read: " + bm.getReason(),
                    null, e);
        }
        return new ApiProblem(500, "Internal server error", "the tally service failed to handle the request; "
                + "its log has the detail under the request id", null, e);
    }

    /**
     * 502: the request was fine, but the trigger's stored fields are not (another program wrote them). Not a 500,
     * which says the service failed, nor a 4xx, which says the client did; not retriable either, so no
     * {@code Retry-After}. The cause makes {@link #logCause} log one WARN line.
     */
    private static ApiProblem unreadable(UnreadableTriggerException e) {
        ApiProblem p = new ApiProblem(502, "Stored state unreadable", e.getMessage() + "; repair that field "
                + "in its partition's triggers hash (docs/operations.md)", null, e)
                .with("reason", "unreadable_trigger").with("id", e.id());
        e.canceled().ifPresent(canceled -> p.with("canceled", canceled));
        return p;
    }

    /**
     * 502 as for a trigger: a counter value, series bucket, HyperLogLog or checkpoint that another program stored
     * in a form Tally cannot read. {@code reason} {@code unreadable_counter} with {@code counter} when the key is
     * one counter's, else {@code unreadable_state}; {@code key} names the key to repair.
     */
    private static ApiProblem unreadable(UnreadableStateException e) {
        ApiProblem p = new ApiProblem(502, "Stored state unreadable", unreadableDetail(e.getMessage()), null, e)
                .with("reason", e.counter().isPresent() ? "unreadable_counter" : "unreadable_state").with("key", e.key());
        e.counter().ifPresent(counter -> p.with("counter", counter));
        return p;
    }

    /** The detail of what another program stored in a form Tally cannot read: the reader's message and the fix. */
    static String unreadableDetail(String message) {
        return message + "; repair or delete that key (docs/operations.md)";
    }

    private static ApiProblem of(HttpResponseException e, Context ctx) {
        if (e.getStatus() == 404) {
            return ApiProblem.notFound("no endpoint " + ctx.method() + " " + ctx.path() + "; see docs/api.md");
        }
        if (e.getStatus() == 405) {
            String allowed = allowedMethods(e);
            ApiProblem p = new ApiProblem(405, "Method not allowed", ctx.method() + " is not allowed on " + ctx.path()
                    + (allowed.isEmpty() ? "" : "; allowed: " + allowed), null);
            return allowed.isEmpty() ? p : p.header("Allow", allowed);
        }
        return new ApiProblem(e.getStatus(), "HTTP " + e.getStatus(), e.getMessage(), null);
    }

    /**
     * The methods the path has, as Javalin lists them in a 405's details ({@code "GET, DELETE"}; the key
     * depends on whether the client accepts HTML).
     */
    private static String allowedMethods(HttpResponseException e) {
        for (String key : new String[] {"availableMethods", "Available methods"}) {
            String methods = e.getDetails().get(key);
            if (methods != null && !methods.isBlank()) {
                return methods;
            }
        }
        return "";
    }

    /** The messages of an exception and its causes, on one line. */
    private static String chain(Throwable e) {
        StringBuilder b = new StringBuilder(e.toString());
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            b.append("; caused by ").append(t);
        }
        return b.toString();
    }
}
