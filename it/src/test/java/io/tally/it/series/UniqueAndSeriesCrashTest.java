package io.tally.it.series;

import io.tally.common.config.TallyConfig;
import io.tally.common.model.CounterOp;
import io.tally.common.series.SeriesWindows;
import io.tally.producer.internal.read.CounterSeries;
import io.tally.producer.TallyProducer;
import io.tally.testkit.PipelineInspector;
import io.tally.it.harness.PacedSender;
import io.tally.testkit.ProcessorFleet;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/**
 * 100,000 {@code unique} entries (20,000 distinct members) and 30,000 windowed increments with chosen
 * {@code ts} across minute, hour and day boundaries, applied by processor JVMs of which one is SIGKILLed
 * every two seconds or so. Afterwards the unique estimate equals that of a HyperLogLog the test built
 * itself from the same members (a HyperLogLog does not depend on order or repeats, so any lost or
 * doubled member set would show) and lies within 2% of 20,000; every series bucket equals the model.
 */
@Tag("slow")
@ExtendWith(RealRedisExtension.class)
class UniqueAndSeriesCrashTest {
    private static final int P = 8;
    private static final long MIN = 60_000L;
    private static final long HOUR = 3_600_000L;
    private static final long DAY = 86_400_000L;
    private ProcessorFleet fleet;

    @AfterEach
    void stopAll() {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void sigkilledProcessorsNeitherLoseNorDoubleUniqueMembersOrBucketDeltas(TestRedis redis) throws Exception {
        TallyConfig config = redis.config(P).build();
        SeriesWindows windows = config.get(TallyConfig.SERIES_WINDOWS);
        long now = System.currentTimeMillis();
        long day = now - now % DAY;
        long hour = now - now % HOUR;
        long minute = now - now % MIN;
        long[] times = {day - 1, day, day + 1, hour - 1, hour, minute - 1, minute, now - 5 * MIN};
        Random random = new Random(2026);
        List<CounterOp> ops = new ArrayList<>();
        List<CounterOp> windowed = new ArrayList<>();
        int uniques = 0;
        for (int i = 0; i < 130_000; i++) {
            if (i % 13 < 10) {
                // The first 20,000 unique entries name every member once; the rest repeat random ones.
                int m = uniques < 20_000 ? uniques : random.nextInt(20_000);
                uniques++;
                ops.add(CounterOp.unique("uv", "member-" + m).withWindows("1d"));
            } else {
                long ts = Math.min(now, times[random.nextInt(times.length)] + random.nextInt(2));
                CounterOp op = CounterOp.incr("pv:" + random.nextInt(4), 1 + random.nextInt(9))
                        .withTs(ts).withWindows("1m", "1h", "1d");
                ops.add(op);
                windowed.add(op);
            }
        }
        assertThat(ops.stream().filter(o -> o.member() != null).count()).isEqualTo(100_000);

        List<String> args = List.of("--partitions", Integer.toString(P), "--lease-ttl-ms", "2000", "--batch-size", "200");
        fleet = new ProcessorFleet("k", redis.url(), config.namespace(), args).start(2);
        Thread producer = PacedSender.start(config, ops, 10_000, 300, TallyProducer::send);
        int kills = fleet.killAndReplaceWhile(producer::isAlive, 3, 1500, 1000, new Random(3));
        producer.join();

        RedissonClient client = redis.client();
        try (CounterSeries reader = CounterSeries.create(client, config)) {
            PipelineInspector inspector = new PipelineInspector(client, config.namespace(), P);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(inspector.checkpointMismatches()).isEmpty());
            assertThat(inspector.opsAdded()).isEqualTo(ops.size());

            long estimate = reader.unique("uv");
            assertThat((double) estimate).isCloseTo(20_000, within(400.0));
            String reference = config.namespace() + ":test-reference-hll";
            var hll = client.<String>getHyperLogLog(reference, StringCodec.INSTANCE);
            List<String> members = new ArrayList<>();
            for (int m = 0; m < 20_000; m++) {
                members.add("member-" + m);
            }
            hll.addAll(members);
            assertThat(estimate).as("estimate after %d kills", kills).isEqualTo(hll.count());
            hll.delete();

            SeriesModel model = SeriesModel.of(windows, windowed);
            int killed = kills;
            for (int c = 0; c < 4; c++) {
                String counter = "pv:" + c;
                for (String w : List.of("1m", "1h", "1d")) {
                    model.buckets(w, counter).forEach((start, sum) -> assertThat(
                            reader.series(counter, w, start, start + 1).get(0).value())
                            .as("%s %s bucket %d after %d kills", counter, w, start, killed).isEqualTo(sum));
                }
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(inspector.pending()).isZero());
            assertThat(kills).isGreaterThanOrEqualTo(3);
        } finally {
            client.shutdown();
        }
    }
}
