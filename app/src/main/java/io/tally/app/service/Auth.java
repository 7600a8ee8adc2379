package io.tally.app.service;

import io.javalin.config.RoutesConfig;

/** Requires a valid bearer token on every {@code /v1} request; answers 401 otherwise. */
final class Auth implements Routes {
    private final ApiTokens tokens;

    Auth(ApiTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.before("/v1/*", ctx -> {
            if (!tokens.accepts(ctx.header("Authorization"))) {
                String header = ctx.header("Authorization");
                throw new ApiProblem(401, "Unauthorized", header == null
                        ? "missing 'Authorization: Bearer <token>' header"
                        : "the bearer token is not accepted; use a token from TALLY_API_TOKENS or --api-tokens-file", null)
                        .header("WWW-Authenticate", "Bearer realm=\"tally\"");
            }
        });
    }
}
