package io.tally.app.service;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Header;

import java.util.function.BooleanSupplier;

/**
 * While the service holds {@code api-max-connections}, answers every request without an accepted bearer token
 * ({@code /health/*}, {@code /metrics}, {@code /openapi.json}, a path that does not exist, any answer before
 * {@link Auth}'s) with {@code Connection: close}, so that at the limit only a client with a token keeps a
 * connection between requests. Otherwise clients without any token could hold every connection by sending a whole
 * request to an open path each second, and clients with tokens and the probes would wait in the accept backlog. Below
 * the limit nobody waits, so keep-alive scrapers and probes keep their connections. Registered before every handler
 * that may answer early; a 401 closes its connection at any count ({@link Auth}).
 */
final class TokenlessAtConnectionLimit implements Routes {
    private final ApiTokens tokens;
    private final BooleanSupplier atConnectionLimit;

    TokenlessAtConnectionLimit(ApiTokens tokens, BooleanSupplier atConnectionLimit) {
        this.tokens = tokens;
        this.atConnectionLimit = atConnectionLimit;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.before(ctx -> {
            if (atConnectionLimit.getAsBoolean() && tokens.match(ctx.header(Header.AUTHORIZATION)) < 0) {
                ctx.header(Header.CONNECTION, "close");
            }
        });
    }
}
