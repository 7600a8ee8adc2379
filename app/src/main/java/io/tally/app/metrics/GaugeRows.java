package io.tally.app.metrics;

import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rows of a {@link MultiGauge} whose values change from sample to sample. A row that stays keeps its
 * gauge and has its value updated in place; only rows that come or go are registered or removed.
 * Re-registering every row at each sample (MultiGauge's {@code overwrite}) removes and adds a gauge a
 * scrape may be reading at that moment, and the Prometheus registry then refused the scrape for a
 * duplicate series.
 */
final class GaugeRows {
    private final MultiGauge gauge;
    /** Written by the sampling thread only; the registered gauges read their holders' values. */
    private Map<Tags, Value> rows = Map.of();

    GaugeRows(MultiGauge gauge) {
        this.gauge = gauge;
    }

    /** Makes {@code values} (tags to value) the gauge's rows. */
    void publish(Map<Tags, Double> values) {
        Map<Tags, Value> next = new HashMap<>();
        List<MultiGauge.Row<?>> list = new ArrayList<>(values.size());
        for (Map.Entry<Tags, Double> e : values.entrySet()) {
            Value holder = rows.get(e.getKey());
            if (holder == null) {
                holder = new Value();
            }
            holder.value = e.getValue();
            next.put(e.getKey(), holder);
            list.add(MultiGauge.Row.of(e.getKey(), holder, h -> h.value));
        }
        // without overwrite a row registered before keeps its gauge (reading the same holder); rows that
        // are gone are removed
        gauge.register(list, false);
        rows = next;
    }

    /** Removes every row. */
    void clear() {
        gauge.register(List.of(), true);
        rows = Map.of();
    }

    private static final class Value {
        volatile double value;
    }
}
