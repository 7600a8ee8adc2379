package io.tally.app.service;

import io.javalin.http.Context;

import java.util.List;

/** Query-parameter parsing that answers 400 naming the parameter. */
final class Queries {
    private Queries() {
    }

    /**
     * The value of a parameter that takes one, or null when absent. Given twice it is refused, as a key given twice in
     * a body is: servers and proxies differ on which of the two counts.
     */
    static String single(Context ctx, String name) {
        List<String> values = ctx.queryParams(name);
        if (values.size() > 1) {
            throw ApiProblem.badRequest(name, "query parameter '" + name + "' is given " + values.size()
                    + " times; give it once");
        }
        return values.isEmpty() ? null : values.get(0);
    }

    static int intParam(Context ctx, String name, int defaultValue, int min, int max) {
        String raw = single(ctx, name);
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
