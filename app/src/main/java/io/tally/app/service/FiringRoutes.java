package io.tally.app.service;

import io.javalin.config.RoutesConfig;
import io.tally.producer.read.TallyReader;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** {@code GET /v1/firings?limit=}: the most recent trigger firings of all partitions, newest first. */
final class FiringRoutes implements Routes {
    private final TallyReader reader;

    FiringRoutes(TallyReader reader) {
        this.reader = reader;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/v1/firings", ctx -> {
            int limit = Queries.intParam(ctx, "limit", 100, 1, 1000);
            List<Map<String, Object>> firings = reader.recentFirings(limit).stream().map(f -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("partition", f.partition());
                m.put("id", f.entryId());
                m.put("fields", new TreeMap<>(f.toFields())); // sorted: a stable order for clients and diffs
                return m;
            }).toList();
            ctx.json(Map.of("firings", firings));
        });
    }
}
