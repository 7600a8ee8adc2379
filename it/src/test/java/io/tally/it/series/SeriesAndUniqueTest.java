package io.tally.it.series;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.model.CounterOp;
import io.tally.common.series.SeriesWindows;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.internal.read.CounterSeries;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.producer.read.SeriesBucket;
import io.tally.testkit.PipelineInspector;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/**
 * Windowed series and unique counts applied by an in-process processor against a real Redis: exact
 * bucket sums across minute, hour and day boundaries, late entries, dead letters for bad fields,
 * retention, and unique estimates and unions read with {@link CounterSeries}.
 */
@ExtendWith(RealRedisExtension.class)
class SeriesAndUniqueTest {
    private static final int P = 4;
    private static final long MIN = 60_000L;
    private static final long HOUR = 3_600_000L;
    private static final long DAY = 86_400_000L;
    private static final SeriesWindows WINDOWS = SeriesWindows.parse("1s=2s,1m=48h,1h=90d,1d=730d");

    private final Map<String, AtomicLong> late = new ConcurrentHashMap<>();
    private final AtomicLong expired = new AtomicLong();
    private final ProcessorListener metrics = new ProcessorListener() {
        @Override
        public void lateWindowEntries(String window, int count) {
            late.computeIfAbsent(window, w -> new AtomicLong()).addAndGet(count);
        }

        @Override
        public void seriesBucketsExpired(long count) {
            expired.addAndGet(count);
        }
    };
    private TallyConfig config;
    private RedissonClient client;
    private Processor processor;
    private CounterSeries reader;
    private PipelineInspector inspector;
    private final Partitioner partitioner = new Partitioner(P);

    @BeforeEach
    void start(TestRedis redis) {
        config = redis.config(P).set(TallyConfig.SERIES_WINDOWS, WINDOWS.toString()).build();
        client = redis.client();
        processor = Processor.start(config, metrics);
        reader = CounterSeries.create(client, config);
        inspector = new PipelineInspector(client, config.namespace(), P);
    }

    @AfterEach
    void stop() {
        processor.close();
        reader.close();
        client.shutdown();
    }

    @Test
    void windowedCountsAcrossMinuteHourAndDayBoundariesEqualTheModelExactly() {
        long now = System.currentTimeMillis();
        long day = now - now % DAY;
        long hour = now - now % HOUR;
        long minute = now - now % MIN;
        long[] times = {day - 1, day, day + 1, hour - 1, hour, hour + 59_999, minute - 1, minute, now - 2 * HOUR,
                day - HOUR, day - 1 - 30 * MIN};
        Random random = new Random(8);
        List<CounterOp> ops = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            String counter = "pv:" + random.nextInt(5);
            long ts = Math.min(now, times[random.nextInt(times.length)] + (random.nextBoolean() ? 0 : random.nextInt(3)));
            long by = 1 + random.nextInt(100);
            CounterOp op = random.nextInt(5) == 0 ? CounterOp.decr(counter, by) : CounterOp.incr(counter, by);
            ops.add(op.withTs(ts).withWindows("1m", "1h", "1d"));
        }
        send(ops);
        SeriesModel model = SeriesModel.of(WINDOWS, ops);

        awaitApplied();
        for (String counter : List.of("pv:0", "pv:1", "pv:2", "pv:3", "pv:4")) {
            assertSeries(model, counter, "1m", day - 2 * HOUR, now + 1);
            assertSeries(model, counter, "1h", day - 2 * HOUR, now + 1);
            assertSeries(model, counter, "1d", day - DAY, now + 1);
        }
        // The total is the plain sum, whatever the buckets.
        long total = ops.stream().filter(o -> o.counter().equals("pv:0"))
                .mapToLong(o -> o.kind() == io.tally.common.model.OpKind.DECR ? -o.amount() : o.amount()).sum();
        assertThat(inspector.counter("pv:0", partitioner.partitionOf("pv:0"))).isEqualTo(total);
    }

    @Test
    void aTsFarAheadOfTheEntryIdUsesTheIdTime() {
        SendResult r = send(List.of(CounterOp.incr("clock", 7).withTs(System.currentTimeMillis() + 2 * DAY)
                .withWindows("1d"))).get(0);
        long idMs = Long.parseLong(r.entryId().substring(0, r.entryId().indexOf('-')));
        awaitApplied();
        long today = idMs - idMs % DAY;
        assertThat(reader.series("clock", "1d", today, today + 3 * DAY))
                .containsExactly(new SeriesBucket(today, 7), new SeriesBucket(today + DAY, 0),
                        new SeriesBucket(today + 2 * DAY, 0));
    }

    @Test
    void lateEntriesCountInTheTotalOnlyAndInTheMetric() {
        long now = System.currentTimeMillis();
        send(List.of(CounterOp.incr("old", 5).withTs(now - 3 * DAY).withWindows("1m", "1d"),
                CounterOp.incr("old", 2).withTs(now).withWindows("1m", "1d")));
        awaitApplied();
        assertThat(inspector.counter("old", partitioner.partitionOf("old"))).isEqualTo(7);
        assertThat(late.get("1m")).hasValue(1);
        assertThat(late).doesNotContainKey("1d");
        long threeDaysAgo = now - 3 * DAY;
        assertThat(reader.series("old", "1d", threeDaysAgo, threeDaysAgo + 1).get(0).value()).isEqualTo(5);
        assertThat(reader.series("old", "1m", threeDaysAgo, threeDaysAgo + 1).get(0).value()).isZero();
        assertThat(reader.series("old", "1m", now, now + 1).get(0).value()).isEqualTo(2);
    }

    @Test
    void setAndResetChangeTheTotalOnly() {
        long now = System.currentTimeMillis();
        send(List.of(CounterOp.incr("s", 4).withTs(now).withWindows("1h"), CounterOp.set("s", 100),
                CounterOp.reset("s"), CounterOp.incr("s", 1).withTs(now).withWindows("1h")));
        awaitApplied();
        assertThat(inspector.counter("s", partitioner.partitionOf("s"))).isEqualTo(1);
        assertThat(reader.series("s", "1h", now, now + 1).get(0).value()).isEqualTo(5);
    }

    @Test
    void badWindowsAndMembersAreDeadLettersNamingTheField() {
        String c = "bad";
        int p = partitioner.partitionOf(c);
        add(p, "op", "incr", "counter", c, "windows", "5m");
        add(p, "op", "incr", "counter", c, "windows", "1m,1m");
        add(p, "op", "set", "counter", c, "value", "3", "windows", "1m");
        add(p, "op", "unique", "counter", c);
        add(p, "op", "unique", "counter", c, "member", "m".repeat(201));
        add(p, "op", "incr", "counter", c, "windows", "1m", "by", "2");
        await().atMost(Duration.ofSeconds(20)).until(() -> inspector.deadLetters(p).size() == 5);
        awaitApplied();
        List<Map<String, String>> dl = inspector.deadLetters(p);
        assertThat(dl).extracting(m -> m.get("reason"))
                .containsExactly("bad_windows", "bad_windows", "bad_windows", "missing_field", "too_long");
        assertThat(dl.get(0).get("error")).contains("'windows'").contains("'5m'").contains("1m,1h,1d");
        assertThat(dl.get(2).get("error")).contains("'windows'").contains("set");
        assertThat(dl.get(3).get("error")).contains("'member'");
        assertThat(dl.get(4).get("error")).contains("'member'");
        assertThat(inspector.counter(c, p)).isEqualTo(2);
    }

    @Test
    void retentionRemovesBucketsPastTheirWindowsRetention() {
        send(List.of(CounterOp.incr("r", 3).withWindows("1s", "1m"), CounterOp.unique("r", "alice").withWindows("1s")));
        awaitApplied();
        int p = partitioner.partitionOf("r");
        Keys keys = TestRedis.keys(config);
        assertThat(client.getScoredSortedSet(keys.seriesIndex(p), StringCodec.INSTANCE).size()).isEqualTo(3);
        // Housekeeping runs every 10 s; the 1 s buckets are due 1 s + 2 s after their start.
        await().atMost(Duration.ofSeconds(25)).pollInterval(Duration.ofMillis(500))
                .until(() -> client.getScoredSortedSet(keys.seriesIndex(p), StringCodec.INSTANCE).size() == 1);
        assertThat(keysLike(keys.seriesPrefix(p) + "1s:*")).isEmpty();
        assertThat(keysLike(keys.hllBucketPrefix(p) + "1s:*")).isEmpty();
        assertThat(expired.get()).isEqualTo(2);
        long now = System.currentTimeMillis();
        assertThat(reader.series("r", "1m", now - MIN, now + 1)).extracting(SeriesBucket::value).contains(3L);
        assertThat(reader.unique("r")).isEqualTo(1);
    }

    @Test
    void uniqueCountsBucketsAndUnionsAcrossPartitions() {
        long now = System.currentTimeMillis();
        long today = now - now % DAY;
        List<CounterOp> ops = new ArrayList<>();
        Set<String> all = new HashSet<>();
        Map<String, Set<String>> perCounter = new LinkedHashMap<>();
        // Two pages on different partitions; visitors overlap between pages and between days.
        String a = "uv:a";
        String b = pageOnAnotherPartition(a);
        for (int i = 0; i < 3_000; i++) {
            String page = i % 2 == 0 ? a : b;
            String member = "visitor-" + (i % 2_000);
            long ts = i % 3 == 0 ? today - DAY + 1_000 : now;
            ops.add(CounterOp.unique(page, member).withTs(ts).withWindows("1d"));
            all.add(member);
            perCounter.computeIfAbsent(page, x -> new HashSet<>()).add(member);
        }
        send(ops);
        awaitApplied();
        assertThat((double) reader.unique(a)).isCloseTo(perCounter.get(a).size(), within(perCounter.get(a).size() * 0.02));
        assertThat((double) reader.uniqueUnion(List.of(a, b))).isCloseTo(all.size(), within(all.size() * 0.02));
        assertThat(reader.uniqueInBuckets(a, "1d", today - DAY, today + DAY)).isEqualTo(reader.unique(a));
        assertThat(reader.uniqueInBuckets(a, "1d", today - 7 * DAY, today + 1)).isEqualTo(reader.unique(a));
        assertThat(inspector.counters()).as("unique does not touch the integer totals").isEmpty();
        assertThat(keysLike(config.namespace() + ":*scratch*")).isEmpty();
    }

    private List<String> keysLike(String pattern) {
        List<String> out = new ArrayList<>();
        client.getKeys().getKeys(org.redisson.api.options.KeysScanOptions.defaults().pattern(pattern)).forEach(out::add);
        return out;
    }

    private String pageOnAnotherPartition(String page) {
        for (int i = 0; ; i++) {
            String other = "uv:b" + i;
            if (partitioner.partitionOf(other) != partitioner.partitionOf(page)) {
                return other;
            }
        }
    }

    private void assertSeries(SeriesModel model, String counter, String window, long from, long to) {
        Map<Long, Long> expected = model.buckets(window, counter);
        List<SeriesBucket> buckets = reader.series(counter, window, from, to);
        for (SeriesBucket bucket : buckets) {
            assertThat(bucket.value()).as("%s %s bucket %d", counter, window, bucket.start())
                    .isEqualTo(expected.getOrDefault(bucket.start(), 0L));
        }
        assertThat(buckets.stream().filter(x -> expected.containsKey(x.start())).count())
                .as("every expected bucket of %s %s is in range", counter, window).isEqualTo(expected.size());
    }

    private List<SendResult> send(List<CounterOp> ops) {
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            List<java.util.concurrent.CompletableFuture<SendResult>> futures = new ArrayList<>();
            ops.forEach(op -> futures.add(producer.send(op)));
            producer.flush();
            return futures.stream().map(java.util.concurrent.CompletableFuture::join).toList();
        }
    }

    private void add(int p, String... kv) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            fields.put(kv[i], kv[i + 1]);
        }
        client.<String, String>getStream(TestRedis.keys(config).ops(p), StringCodec.INSTANCE)
                .add(StreamAddArgs.entries(fields));
    }

    private void awaitApplied() {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> inspector.checkpointMismatches().isEmpty() && inspector.pending() == 0);
    }
}
