package io.tally.app.service;

import io.javalin.config.RoutesConfig;

/**
 * Requires a valid bearer token on every {@code /v1} request, answering 401 otherwise, and counts the request
 * against its token's cap of requests in flight ({@link TokenInFlight}), answering 429 beyond it.
 */
final class Auth implements Routes {
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
                        .header("WWW-Authenticate", "Bearer realm=\"tally\"");
            }
            inFlight.admit(ctx, token);
        });
    }
}
