package io.tally.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Figures of every run, by metric, and the table of medians (min-max) against the targets of issue 6.
 */
final class Results {
    /** A row of the table: the metric, its unit, and the target (null: reported only). */
    record Row(String key, String label, String unit, Double atLeast, Double atMost) {
    }

    static final List<Row> ROWS = List.of(
            new Row("drain.ops", "Drain: ops/s, 1 processor", "ops/s", 200_000.0, null),
            new Row("drain.proc_cpu", "Drain: processor CPU", "% of 1 core", null, null),
            new Row("drain.proc_heap", "Drain: processor peak heap used incl. garbage (jstat), -Xmx256m", "MB", null, 256.0),
            new Row("drain.proc_rss", "Drain: processor peak RSS", "MB", null, null),
            new Row("drain.redis_cpu", "Drain: Redis CPU", "% of 1 core", null, null),
            new Row("drain.proc_us_per_op", "Drain: processor CPU per applied entry", "us", null, null),
            new Row("drain.redis_us_per_op", "Drain: Redis CPU per applied entry", "us", null, null),
            new Row("steady1.cal_in", "Steady, 1 processor: calibration, most the producer sent", "ops/s", null, null),
            new Row("steady1.cal_out", "Steady, 1 processor: calibration, most applied", "ops/s", null, null),
            new Row("steady1.in", "Steady, 1 processor: ops/s in", "ops/s", 100_000.0, null),
            new Row("steady1.out", "Steady, 1 processor: ops/s out", "ops/s", 100_000.0, null),
            new Row("steady1.bounded", "Steady, 1 processor: lag bounded", "1=yes", 1.0, null),
            new Row("steady2.cal_in", "Steady, 2 processors: calibration, most the producer sent", "ops/s", null, null),
            new Row("steady2.cal_out", "Steady, 2 processors: calibration, most applied", "ops/s", null, null),
            new Row("steady2.in", "Steady, 2 processors: ops/s in", "ops/s", null, null),
            new Row("steady2.out", "Steady, 2 processors: ops/s out", "ops/s", null, null),
            new Row("steady2.bounded", "Steady, 2 processors: lag bounded", "1=yes", 1.0, null),
            new Row("latency.rate", "Latency: rate (half of steady 1)", "ops/s", null, null),
            new Row("latency.p50", "Latency: p50", "ms", null, null),
            new Row("latency.p99", "Latency: p99", "ms", null, 20.0),
            new Row("latency.p999", "Latency: p99.9", "ms", null, 50.0),
            new Row("latency.max", "Latency: max", "ms", null, null),
            new Row("latency.ack_p99", "Latency: producer acknowledgment p99 (id time to send completed)", "ms", null, null),
            new Row("takeover.owned", "Takeover after SIGKILL: all partitions owned", "ms", null, null),
            new Row("takeover.lag", "Takeover after SIGKILL: lag back to pre-kill level", "ms", null, null),
            new Row("takeover.handoff", "SIGTERM handoff: all partitions owned", "ms", null, 1000.0),
            new Row("producer.plain", "Producer: sends/s, plain (producer-idempotence off, no id)", "sends/s", 200_000.0, null),
            new Row("producer.session", "Producer: sends/s, default (producer sessions)", "sends/s", null, null),
            new Row("producer.idem", "Producer: sends/s, every send with an operation id", "sends/s", 100_000.0, null),
            new Row("producer.plain_cpu_us", "Producer: process CPU per send, plain", "us", null, null),
            new Row("producer.session_cpu_us", "Producer: process CPU per send, default (producer sessions)", "us", null, null),
            new Row("producer.idem_cpu_us", "Producer: process CPU per send, operation ids", "us", null, null),
            new Row("ratio.session_plain", "Producer: default (sessions) / plain", "x", 0.9, null),
            new Row("ratio.ids_plain", "Producer: operation ids / plain", "x", 0.6, null),
            new Row("producer.heap", "Producer: peak heap used incl. garbage (jstat), -Xmx256m", "MB", null, 256.0),
            new Row("baseline.naive", "Baseline: naive consumer (COUNT 1, HINCRBY, XACK)", "ops/s", null, null),
            new Row("baseline.bare", "Baseline: bare XREADGROUP 500 + XACK on Redisson", "ops/s", null, null),
            new Row("baseline.redis_benchmark", "Baseline: redis-benchmark -P 128 XADD 4 fields", "ops/s", null, null),
            new Row("ratio.naive", "Drain / naive consumer", "x", 40.0, null),
            new Row("ratio.bare", "Drain / bare read-and-ack floor", "x", 0.7, null),
            new Row("kafka.producer", "Kafka producer (acks=all, idempotent): sends/s", "sends/s", null, null),
            new Row("kafka.producer_cpu_us", "Kafka producer: process CPU per send", "us", null, null),
            new Row("kafka.streams_eos", "Kafka Streams exactly_once_v2, 1 thread: records/s", "ops/s", null, null),
            new Row("kafka.streams_eos_cpu_us", "Kafka Streams exactly_once_v2: app CPU per record", "us", null, null),
            new Row("kafka.streams_eos_broker_us", "Kafka Streams exactly_once_v2: broker CPU per record", "us", null, null),
            new Row("kafka.streams_alos", "Kafka Streams at_least_once, 1 thread: records/s", "ops/s", null, null),
            new Row("kafka.streams_alos_cpu_us", "Kafka Streams at_least_once: app CPU per record", "us", null, null),
            new Row("kafka.streams_alos_broker_us", "Kafka Streams at_least_once: broker CPU per record", "us", null, null),
            new Row("ratio.kafka_producer", "Tally default producer (sessions) / Kafka idempotent producer", "x", 1.0, null),
            new Row("ratio.kafka_streams_eos", "Tally drain / Kafka Streams exactly_once_v2", "x", 1.0, null),
            new Row("memory.backlog_entry", "Memory: Redis bytes per backlog entry", "B", null, null),
            new Row("memory.pending_entry", "Memory: Redis bytes per pending entry", "B", null, null),
            new Row("memory.steady_first", "Memory: steady run, max used_memory first third", "MB", null, null),
            new Row("memory.steady_last", "Memory: steady run, max used_memory last third", "MB", null, null),
            new Row("memory.flat", "Memory: steady run stays flat (last <= 1.25 x first)", "1=yes", 1.0, null),
            new Row("hostile.acked", "Hostile chaos: valid sends acknowledged (each with an id)", "sends", null, null),
            new Row("hostile.retried", "Hostile chaos: send attempts retried with their id", "sends", null, null),
            new Row("hostile.entries", "Hostile chaos: hostile entries XADDed raw", "entries", null, null),
            new Row("hostile.dead", "Hostile chaos: dead letters", "entries", null, null),
            new Row("hostile.firings", "Hostile chaos: distinct firings", "firings", null, null),
            new Row("hostile.replays", "Hostile chaos: firings written again for the same firing_id (dropped)", "firings", null, null),
            new Row("hostile.faults", "Hostile chaos: faults (SIGKILL, SIGSTOP, Redis restart)", "faults", null, null),
            new Row("hostile.drain", "Hostile chaos: drained after the traffic stopped", "ms", null, null),
            new Row("hostile.mismatches", "Hostile chaos: mismatches (counters, buckets, firings, dead letters)", "count", null, 0.0),
            new Row("lettuce_drain.direct_ops", "Lettuce spike: drain over the direct client", "ops/s", null, null),
            new Row("lettuce_drain.lettuce_ops", "Lettuce spike: drain over Lettuce", "ops/s", null, null),
            new Row("lettuce_drain.direct_proc_us", "Lettuce spike: process CPU per applied entry, direct", "us", null, null),
            new Row("lettuce_drain.lettuce_proc_us", "Lettuce spike: process CPU per applied entry, Lettuce", "us", null, null),
            new Row("lettuce_drain.ratio_proc_us", "Lettuce spike: process CPU per entry, Lettuce / direct", "x", null, 1.10),
            new Row("lettuce_drain.direct_redis_us", "Lettuce spike: Redis CPU per applied entry, direct", "us", null, null),
            new Row("lettuce_drain.lettuce_redis_us", "Lettuce spike: Redis CPU per applied entry, Lettuce", "us", null, null));

    private final Map<String, List<Double>> values = new LinkedHashMap<>();

    synchronized void put(String key, double value) {
        values.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        System.out.printf(Locale.ROOT, "  %-24s %s%n", key, format(value));
    }

    /** Takeover target: lease TTL + 1 s. */
    private double takeoverTarget = 11_000;

    void takeoverTarget(double ms) {
        takeoverTarget = ms;
    }

    synchronized List<Double> get(String key) {
        return values.getOrDefault(key, List.of());
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.removeIf(d -> d.isNaN());
        if (s.isEmpty()) {
            return Double.NaN;
        }
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** The markdown table: metric, target, median, min-max, runs, pass/fail. */
    synchronized String table() {
        StringBuilder sb = new StringBuilder();
        sb.append("| metric | unit | target | median | min - max | runs | result |\n");
        sb.append("| --- | --- | --- | ---: | ---: | ---: | --- |\n");
        for (Row row : ROWS) {
            List<Double> xs = get(row.key());
            if (xs.isEmpty()) {
                continue;
            }
            Double atLeast = row.atLeast();
            Double atMost = row.atMost();
            if (row.key().equals("takeover.owned") || row.key().equals("takeover.lag")) {
                atMost = takeoverTarget;
            }
            double med = median(xs);
            double min = xs.stream().filter(d -> !d.isNaN()).mapToDouble(d -> d).min().orElse(Double.NaN);
            double max = xs.stream().filter(d -> !d.isNaN()).mapToDouble(d -> d).max().orElse(Double.NaN);
            String target = atLeast != null ? ">= " + format(atLeast) : atMost != null ? "<= " + format(atMost) : "-";
            String verdict = Double.isNaN(med) ? "n/a"
                    : atLeast != null ? (med >= atLeast ? "PASS" : "FAIL")
                    : atMost != null ? (med <= atMost ? "PASS" : "FAIL") : "-";
            sb.append("| ").append(row.label()).append(" | ").append(row.unit()).append(" | ").append(target)
                    .append(" | ").append(format(med)).append(" | ").append(format(min)).append(" - ").append(format(max))
                    .append(" | ").append(xs.size()).append(" | ").append(verdict).append(" |\n");
        }
        return sb.toString();
    }

    static String format(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        if (Math.abs(v) >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (Math.abs(v) >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
