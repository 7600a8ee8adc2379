package io.tally.app.service;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Gives every request an id: a sane incoming {@code X-Request-Id} (a proxy's or the client's) or a
 * generated one. The id is echoed in the response header, carried by every problem body
 * ({@code requestId}) and logged with the detail of a failure, so that a client's report leads to the
 * log line. An incoming id that is long or carries characters outside {@code [A-Za-z0-9._:-]} is
 * replaced rather than echoed: it would otherwise be a way to inject text into logs and headers.
 */
final class RequestIds implements Routes {
    static final String HEADER = "X-Request-Id";
    private static final String ATTRIBUTE = "tally.requestId";
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

    @Override
    public void register(RoutesConfig routes) {
        routes.before(ctx -> {
            String id = accepted(ctx.header(HEADER));
            ctx.attribute(ATTRIBUTE, id);
            ctx.header(HEADER, id);
        });
    }

    /** The request's id (generated here if the request has none yet, e.g. before the first handler). */
    static String of(Context ctx) {
        String id = ctx.attribute(ATTRIBUTE);
        if (id == null) {
            id = generate();
            ctx.attribute(ATTRIBUTE, id);
            ctx.header(HEADER, id);
        }
        return id;
    }

    /** The incoming id when it is sane, else a new one. */
    static String accepted(String incoming) {
        return incoming != null && SANE.matcher(incoming).matches() ? incoming : generate();
    }

    /** 16 hex digits: unique enough to find a line in a log, cheap enough for every send. */
    static String generate() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }
}
