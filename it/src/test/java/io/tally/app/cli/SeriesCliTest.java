package io.tally.app.cli;

import io.tally.common.config.TallyConfig;
import io.tally.common.model.CounterOp;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.RedisProcessor;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.internal.read.RedisTallyReader;
import io.tally.producer.read.Topic;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code tally series}, {@code tally unique} and the unique line of {@code tally get}, run in-process
 * against a real Redis whose entries an in-process processor applied.
 */
@ExtendWith(RealRedisExtension.class)
class SeriesCliTest {
    private static final long HOUR = 3_600_000L;

    private static String url;
    private static String namespace;
    private static Processor processor;
    private static RedissonClient redis;
    /** An hour boundary three hours ago. */
    private static long base;

    @BeforeAll
    static void start(TestRedis testRedis) {
        TallyConfig config = testRedis.config(4).set(TallyConfig.PROCESSOR_ID, "series-cli").build();
        url = testRedis.url();
        namespace = config.namespace();
        redis = testRedis.client();
        processor = RedisProcessor.start(redis, config, ProcessorListener.NOOP);
        await().atMost(Duration.ofSeconds(30)).until(() -> processor.ownedPartitions().size() == 4);
        long now = System.currentTimeMillis();
        base = now - now % HOUR - 3 * HOUR;
        RedisTallyReader reader = RedisTallyReader.open(redis, config);
        try (TallyProducer producer = RedisTallyProducer.create(redis, false, config, ProducerMetrics.NOOP)) {
            // hour 0: 4 + 6 = 10, hour 1: nothing, hour 2: 40 - 5 = 35 (windows 1h), plus 1000 without windows.
            List<SendResult> sent = new ArrayList<>();
            for (CounterOp op : List.of(CounterOp.incr("cli.pv", 4).withTs(base).withWindows("1h"),
                    CounterOp.incr("cli.pv", 6).withTs(base + HOUR - 1).withWindows("1h"),
                    CounterOp.incr("cli.pv", 40).withTs(base + 2 * HOUR + 1).withWindows("1h", "1d"),
                    CounterOp.decr("cli.pv", 5).withTs(base + 2 * HOUR + 2).withWindows("1h"),
                    CounterOp.incr("cli.pv", 1000),
                    CounterOp.unique("cli.uv.a", "alice"), CounterOp.unique("cli.uv.a", "bob"),
                    CounterOp.unique("cli.uv.a", "alice"), CounterOp.unique("cli.uv.b", "bob"),
                    CounterOp.unique("cli.uv.b", "carol"), CounterOp.unique("cli.pv", "zed"))) {
                sent.add(producer.send(op).join());
            }
            for (int i = 0; i < sent.size(); i++) {
                SendResult r = sent.get(i);
                await().atMost(Duration.ofSeconds(20)).until(() -> reader.isApplied(r.partition(), Topic.OPS, r.entryId()));
            }
        }
    }

    @AfterAll
    static void stop() {
        processor.close();
        redis.shutdown();
    }

    @Test
    void series_printsEveryBucketWithZeroFilledGaps_aSparklineAndTheTotal() {
        String from = Instant.ofEpochMilli(base).toString();
        String to = Instant.ofEpochMilli(base + 4 * HOUR).toString();
        TallyCliTest.Run r = tally("series", "cli.pv", "--window", "1h", "--from", from, "--to", to);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().toList()).containsExactly(
                "cli.pv  window 1h  from " + from + "  to " + to + "  4 bucket(s)",
                "START                 VALUE",
                iso(base) + "     10",
                iso(base + HOUR) + "      0",
                iso(base + 2 * HOUR) + "     35",
                iso(base + 3 * HOUR) + "      0",
                "▃▁█▁",
                "total 45  min 0  max 35");
    }

    @Test
    void series_withLast_endsAtTo_andAcceptsEpochMs() {
        TallyCliTest.Run r = tally("series", "cli.pv", "--window", "1h", "--to", Long.toString(base + 3 * HOUR),
                "--last", "3h");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("from " + iso(base) + "  to " + iso(base + 3 * HOUR) + "  3 bucket(s)");
        assertThat(r.out().lines().filter(l -> l.startsWith(iso(base).substring(0, 4)))
                .map(l -> l.replaceAll("^\\S+\\s+", ""))).containsExactly("10", "0", "35");
        long t = base + 2 * HOUR + 1;
        long day = t - t % 86_400_000L;
        TallyCliTest.Run daily = tally("series", "cli.pv", "--window", "1d", "--from", Long.toString(day),
                "--to", Long.toString(day + 1));
        assertThat(daily.out()).contains(iso(day) + "     40");
    }

    @Test
    void series_ofDefaultRange_hasSixtyOrSixtyOneBuckets() {
        TallyCliTest.Run r = tally("series", "cli.never", "--window", "1m");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().findFirst().orElseThrow()).matches(".* (60|61) bucket\\(s\\)");
        assertThat(r.out()).contains("total 0  min 0  max 0");
    }

    @Test
    void series_badInput_exits2NamingTheOption() {
        assertUsage(tally("series", "cli.pv", "--window", "5m"), "--window", "configured windows: 1m, 1h, 1d");
        assertUsage(tally("series", "cli.pv", "--window", "1m", "--from", "yesterday"), "--from", "'yesterday'");
        assertUsage(tally("series", "cli.pv", "--window", "1m", "--to", "2030-02-30"), "--to", "ISO-8601");
        assertUsage(tally("series", "cli.pv", "--window", "1m", "--from", "2030-01-02", "--to", "2030-01-01"),
                "--from", "after");
        assertUsage(tally("series", "cli.pv", "--window", "1m", "--from", "0", "--to", "2030-01-01"), "--from",
                "more than 10000");
        assertUsage(tally("series", "cli.pv", "--window", "1m", "--last", "0h"), "--last", "'0h'");
        assertUsage(tally("series", "cli.pv", "--window", "1m", "--last", "20d"), "--last", "more than 10000");
        assertUsage(tally("series", "cli.pv", "--window", "1m", "--last", "1h", "--from", "0"), "--last", "not both");
        assertUsage(tally("series", "cli.pv"), "--window", "Missing required option");
        assertUsage(tally("series", "bad\u0001name", "--window", "1m"), "'counter'", "control");
    }

    @Test
    void get_printsTheUniqueEstimate_whenTheCounterHasOne() {
        TallyCliTest.Run both = tally("get", "cli.pv");
        assertThat(both.code()).as(both.err()).isZero();
        assertThat(both.out().lines().toList()).containsExactly("1045", "unique 1");
        TallyCliTest.Run uniqueOnly = tally("get", "cli.uv.a");
        assertThat(uniqueOnly.code()).as(uniqueOnly.err()).isZero();
        assertThat(uniqueOnly.out().lines().toList()).containsExactly("0", "unique 2");
        TallyCliTest.Run missing = tally("get", "cli.none");
        assertThat(missing.code()).isEqualTo(3);
        assertThat(missing.out().lines().toList()).containsExactly("0");
    }

    @Test
    void unique_countsOneCounter_orTheUnionOfSeveral() {
        assertThat(tally("unique", "cli.uv.a").out().strip()).isEqualTo("2");
        TallyCliTest.Run union = tally("unique", "cli.uv.a", "cli.uv.b");
        assertThat(union.code()).as(union.err()).isZero();
        assertThat(union.out().strip()).isEqualTo("3");
        assertThat(tally("unique", "cli.uv.a", "cli.uv.b", "cli.pv").out().strip()).isEqualTo("4");
        TallyCliTest.Run none = tally("unique", "cli.uv.a", "cli.none");
        assertThat(none.code()).isZero();
        assertThat(none.out().strip()).isEqualTo("2");
        assertThat(none.err()).contains("counter 'cli.none' has no unique entries");
        assertThat(tally("unique").code()).isEqualTo(2);
        assertThat(tally("unique", "").err()).contains("'counter'");
    }

    private static void assertUsage(TallyCliTest.Run r, String option, String detail) {
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.err()).contains(option).contains(detail);
    }

    private static String iso(long ms) {
        return Instant.ofEpochMilli(ms).toString();
    }

    private static TallyCliTest.Run tally(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--redis-url", url, "--namespace", namespace));
        return TallyCliTest.run(all.toArray(String[]::new));
    }
}
