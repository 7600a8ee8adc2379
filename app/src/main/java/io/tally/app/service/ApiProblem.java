package io.tally.app.service;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An HTTP error answered as {@code application/problem+json} (RFC 9457): status, title, a detail
 * that says what was wrong and how to fix it, and the request field at fault when there is one. The
 * cause, when there is one, is for the log only: its text (a Redis error, a script's SHA and line, a
 * Java class) never reaches the body.
 */
final class ApiProblem extends RuntimeException {
    final int status;
    final String title;
    final String field;
    final Map<String, Object> extra = new LinkedHashMap<>();
    final Map<String, String> headers = new LinkedHashMap<>();

    ApiProblem(int status, String title, String detail, String field) {
        this(status, title, detail, field, null);
    }

    ApiProblem(int status, String title, String detail, String field, Throwable cause) {
        super(detail, cause, false, false);
        this.status = status;
        this.title = title;
        this.field = field;
    }

    static ApiProblem badRequest(String field, String detail) {
        return new ApiProblem(400, "Bad request", detail, field);
    }

    static ApiProblem notFound(String detail) {
        return new ApiProblem(404, "Not found", detail, null);
    }

    /**
     * 413. The body is left unread, so the server closes the connection after the answer; saying so lets a
     * client that keeps connections alive open a new one instead of sending its next request into a closed one.
     */
    static ApiProblem tooLarge(String detail) {
        return new ApiProblem(413, "Content too large", detail, null).header("Connection", "close");
    }

    /** 503 with {@code Retry-After}: the service cannot serve now, a retry later may succeed. */
    static ApiProblem unavailable(String detail, long retryAfterSeconds, Throwable cause) {
        return new ApiProblem(503, "Service unavailable", detail + "; retry after " + retryAfterSeconds + " s", null,
                cause).header("Retry-After", Long.toString(retryAfterSeconds));
    }

    /**
     * 504: a send or write that may or may not have been written. Never a 503, which says nothing was written; no
     * {@code Retry-After}: the detail says which retry is safe (a send with the same operation id, an idempotent
     * delete or cancel as it was) or what to read first (a trigger create).
     */
    static ApiProblem outcomeUnknown(String detail, Throwable cause) {
        return new ApiProblem(504, "Outcome unknown", detail, null, cause);
    }

    ApiProblem with(String name, Object value) {
        extra.put(name, value);
        return this;
    }

    ApiProblem header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    /** The problem document. */
    Map<String, Object> body(String instance, String requestId) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("title", title);
        body.put("status", status);
        body.put("detail", getMessage());
        if (field != null) {
            body.put("field", field);
        }
        body.put("instance", instance);
        body.put("requestId", requestId);
        body.putAll(extra);
        return body;
    }
}
