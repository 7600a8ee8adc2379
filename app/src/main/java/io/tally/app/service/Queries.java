package io.tally.app.service;

import io.javalin.http.Context;

/** Query-parameter parsing that answers 400 naming the parameter. */
final class Queries {
    private Queries() {
    }

    static int intParam(Context ctx, String name, int defaultValue, int min, int max) {
        String raw = ctx.queryParam(name);
        if (raw == null) {
            return defaultValue;
        }
        try {
            int v = Integer.parseInt(raw);
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw ApiProblem.badRequest(name, "query parameter '" + name + "' must be an integer from " + min + " to " + max
                + ", got '" + raw + "'");
    }
}
