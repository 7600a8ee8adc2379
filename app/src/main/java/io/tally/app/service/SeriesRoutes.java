package io.tally.app.service;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.tally.common.internal.wire.WireFormat;
import io.tally.producer.internal.read.CounterSeries;
import io.tally.producer.internal.read.SeriesRange;
import io.tally.producer.read.SeriesBucket;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Windowed series and unique counts: {@code GET /v1/counters/{name}/series} (zero-filled buckets of a
 * configured window over a time range) and {@code GET /v1/unique?counters=a,b} (estimated distinct
 * members of the union). Both read only what processors have applied.
 */
final class SeriesRoutes implements Routes {
    /** Most counters one union may name. */
    static final int MAX_UNION = 1000;

    private final CounterSeries series;
    private final InstantSource clock;

    SeriesRoutes(CounterSeries series, InstantSource clock) {
        this.series = series;
        this.clock = clock;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/v1/counters/{name}/series", this::series);
        routes.get("/v1/unique", this::union);
    }

    private void series(Context ctx) {
        String name = ctx.pathParam("name");
        WireFormat.checkName("counter", name);
        SeriesRange range;
        try {
            range = SeriesRange.resolve(series.windows(), Queries.single(ctx, "window"),
                    blankToNull(Queries.single(ctx, "from")), blankToNull(Queries.single(ctx, "to")), null, clock.millis());
        } catch (SeriesRange.InvalidRangeException e) {
            throw ApiProblem.badRequest(e.field(), e.getMessage());
        }
        List<Map<String, Object>> buckets = new ArrayList<>();
        for (SeriesBucket b : series.series(name, range.window().name(), range.fromMs(), range.toMs())) {
            Map<String, Object> bucket = new LinkedHashMap<>();
            bucket.put("start", b.start());
            bucket.put("value", b.value());
            buckets.add(bucket);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("counter", name);
        body.put("window", range.window().name());
        body.put("from", range.fromMs());
        body.put("to", range.toMs());
        body.put("buckets", buckets);
        ctx.json(body);
    }

    private void union(Context ctx) {
        Set<String> counters = new LinkedHashSet<>();
        for (String value : ctx.queryParams("counters")) {
            for (String name : value.split(",", -1)) {
                if (name.isEmpty()) {
                    continue;
                }
                WireFormat.checkName("counters", name);
                counters.add(name);
            }
        }
        if (counters.isEmpty()) {
            throw ApiProblem.badRequest("counters", "query parameter 'counters' is required: comma-separated counter "
                    + "names, e.g. ?counters=page:home,page:cart");
        }
        if (counters.size() > MAX_UNION) {
            throw ApiProblem.badRequest("counters", "query parameter 'counters' names " + counters.size()
                    + " counters, more than " + MAX_UNION);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("counters", List.copyOf(counters));
        body.put("unique", series.uniqueUnion(counters));
        ctx.json(body);
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
