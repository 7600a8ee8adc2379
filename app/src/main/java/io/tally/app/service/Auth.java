package io.tally.app.service;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

/**
 * Requires a valid bearer token on every {@code /v1} request, answering 401 and closing the connection otherwise
 * ({@link TokenlessAtConnectionLimit} closes the connection of every other answer without a token, at the
 * connection limit), and counts the request
 * against its token's cap of requests in flight ({@link TokenInFlight}), answering 429 beyond it. The request keeps
 * its token's index ({@link #token}) for the bounds counted later, such as its rate of operations ({@link TokenRate}).
 */
final class Auth implements Routes {
    private static final String TOKEN = "bearer-token-index";

    private final ApiTokens tokens;
    private final TokenInFlight inFlight;

    Auth(ApiTokens tokens, TokenInFlight inFlight) {
        this.tokens = tokens;
        this.inFlight = inFlight;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.before("/v1/*", ctx -> {
            String header = ctx.header("Authorization");
            int token = tokens.match(header);
            if (token < 0) {
                throw new ApiProblem(401, "Unauthorized", header == null
                        ? "missing 'Authorization: Bearer <token>' header"
                        : "the bearer token is not accepted; use a token from TALLY_API_TOKENS or --api-tokens-file", null)
                        .header("WWW-Authenticate", "Bearer realm=\"tally\"")
                        // holding a connection takes a token: otherwise a client without one keeps it with 401s
                        .header("Connection", "close");
            }
            ctx.attribute(TOKEN, token);
            inFlight.admit(ctx, token);
        });
    }

    /** The index ({@link ApiTokens#match}) of the token a {@code /v1} request was accepted with. */
    static int token(Context ctx) {
        Integer token = ctx.attribute(TOKEN);
        if (token == null) {
            throw new IllegalStateException("no bearer token was accepted for " + ctx.path());
        }
        return token;
    }
}
