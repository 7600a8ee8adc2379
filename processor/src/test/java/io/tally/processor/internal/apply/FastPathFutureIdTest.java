package io.tally.processor.internal.apply;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.series.SeriesWindows;
import io.tally.processor.internal.batch.CounterFold;
import io.tally.processor.internal.batch.CounterNames;
import io.tally.processor.internal.batch.ReadBatch;
import io.tally.processor.internal.batch.ReadBatches;
import io.tally.processor.internal.batch.SeriesRules;
import io.tally.processor.internal.transport.HotPath;
import io.tally.processor.internal.transport.ScriptPipeline;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RStream;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamReadGroupArgs;
import org.redisson.client.codec.StringCodec;

import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A windowed entry whose id time lies more than series-future-ms ahead of Redis time is bucketed by
 * apply.lua at Redis time; the fast path, whose fold buckets by id time, must come to the same bucket
 * whatever the processor's clock says. Here the processor's clock runs ahead of Redis's, so its fold
 * judges an entry past the boundary by Redis's clock as not ahead: the fast script, reading Redis time,
 * leaves the batch to apply.lua (SLOW future), which buckets it at Redis time.
 */
@ExtendWith(RealRedisExtension.class)
class FastPathFutureIdTest {
    private static final int P = 2;
    private static final String LEASE = "me:1";
    private static final long FUTURE_MS = 60_000;
    private static final SeriesWindows WINDOWS = SeriesWindows.parse("1m=48h");

    private TestRedis redis;
    /** A server of the test's own, when it reads server-wide counts; closed after it. */
    private TestRedis own;
    private RedissonClient client;
    private RawRedis raw;
    private Keys keys;
    private int p;
    private ApplyScripts scripts;
    private HotPath.Clients hot;

    @BeforeEach
    void open(TestRedis redis) {
        this.redis = redis;
        connect();
    }

    private void connect() {
        TallyConfig config = redis.config(P).build();
        client = redis.client();
        raw = new RawRedis(redis.url());
        keys = Namespace.create(client, config).keys();
        p = new Partitioner(P).partitionOf("c");
        scripts = new ApplyScripts(keys, P, LEASE, WINDOWS.scriptArg(), FUTURE_MS, 100, ApplyScripts.APPLY);
        scripts.load(client);
        client.getBucket(keys.lease(p), StringCodec.INSTANCE).set(LEASE);
        hot = HotPath.redisson().open(client, keys, P, LEASE);
    }

    @AfterEach
    void close() {
        disconnect();
        if (own != null) {
            own.close();
        }
    }

    private void disconnect() {
        hot.close();
        raw.close();
        client.shutdown();
    }

    @Test
    void anIdPastTheAllowanceByRedisTimeButNotByTheProcessors_isBucketedAtRedisTime() throws Exception {
        long redisNow = redisMillis();
        // the processor's clock 10 minutes ahead of Redis's; the id 5 minutes past Redis's allowance
        SeriesRules processor = new SeriesRules(WINDOWS, FUTURE_MS,
                InstantSource.fixed(Instant.ofEpochMilli(redisNow + 600_000)));
        long idMs = redisNow + FUTURE_MS + 300_000;
        add(idMs + "-0", "op", "incr", "counter", "c", "by", "5", "windows", "1m");
        ReadBatch batch = read();
        CounterFold fold = batch.fold(processor);
        assertThat(fold).as("the processor's clock finds the id within the allowance").isNotNull();

        assertThat(run(pipeline -> scripts.fastApply(pipeline, p, batch, fold))).containsExactly("SLOW", "future");
        assertThat(raw.keys(keys.seriesPrefix(p) + "*")).as("nothing written").isEmpty();
        assertThat(client.getMap(keys.counters(p), StringCodec.INSTANCE).isExists()).isFalse();

        // as the processor goes on after SLOW: apply.lua re-reads the batch from the pending list
        long before = redisMillis();
        List<String> reply = run(pipeline -> scripts.fullApply(pipeline, p, batch.cursorBefore(), "", batch.size()));
        long after = redisMillis();
        assertThat(reply.get(reply.size() - 1)).isEqualTo("future.1m=1");
        assertThat(client.<String, String>getMap(keys.counters(p), StringCodec.INSTANCE).get("c")).isEqualTo("5");
        String bucket = onlyBucket();
        long start = Long.parseLong(bucket.substring(bucket.lastIndexOf(':') + 1));
        assertThat(start).as("the minute of Redis time when apply.lua ran")
                .isBetween(before - before % 60_000, after - after % 60_000);
        assertThat(client.<String, String>getMap(bucket, StringCodec.INSTANCE).get("c")).isEqualTo("5");
    }

    @Test
    void anIdWithinTheAllowanceByRedisTime_staysOnTheFastPath_inTheBucketOfItsIdTime() throws Exception {
        long redisNow = redisMillis();
        SeriesRules processor = new SeriesRules(WINDOWS, FUTURE_MS, InstantSource.fixed(Instant.ofEpochMilli(redisNow)));
        long idMs = redisNow + FUTURE_MS - 20_000;
        add(idMs + "-0", "op", "incr", "counter", "c", "by", "5", "windows", "1m");
        ReadBatch batch = read();
        CounterFold fold = batch.fold(processor);
        assertThat(run(pipeline -> scripts.fastApply(pipeline, p, batch, fold))).containsExactly("OK", "1", "0");
        assertThat(onlyBucket()).isEqualTo(keys.seriesPrefix(p) + "1m:" + (idMs - idMs % 60_000));
    }

    @Test
    void aBatchWithoutWindowedEntries_readsNoRedisTime() throws Exception {
        // Redis's command counts must be this test's own, whatever Redis the other tests share
        disconnect();
        own = TestRedis.ownServer();
        redis = own;
        connect();
        SeriesRules processor = new SeriesRules(WINDOWS, FUTURE_MS);
        add("*", "op", "incr", "counter", "c", "by", "5");
        ReadBatch plain = read();
        long timeCalls = timeCalls();
        assertThat(run(pipeline -> scripts.fastApply(pipeline, p, plain, plain.fold(processor))))
                .containsExactly("OK", "1", "0");
        assertThat(timeCalls()).isEqualTo(timeCalls);

        add("*", "op", "incr", "counter", "c", "by", "5", "windows", "1m");
        ReadBatch windowed = read();
        assertThat(run(pipeline -> scripts.fastApply(pipeline, p, windowed, windowed.fold(processor))))
                .containsExactly("OK", "1", "0");
        assertThat(timeCalls()).isEqualTo(timeCalls + 1);
    }

    private List<String> run(java.util.function.Function<ScriptPipeline, CompletableFuture<List<Object>>> call)
            throws Exception {
        ScriptPipeline pipeline = hot.pipeline();
        CompletableFuture<List<Object>> reply = call.apply(pipeline);
        pipeline.execute().get(5, TimeUnit.SECONDS);
        return reply.join().stream().map(String::valueOf).toList();
    }

    private long redisMillis() {
        List<?> t = (List<?>) raw.call("TIME");
        return Long.parseLong(RawRedis.text(t.get(0))) * 1000 + Long.parseLong(RawRedis.text(t.get(1))) / 1000;
    }

    /** Calls of TIME Redis counted so far, scripts' included. */
    private long timeCalls() {
        return RawRedis.text(raw.call("INFO", "commandstats")).lines().filter(l -> l.startsWith("cmdstat_time:"))
                .findFirst().map(l -> Long.parseLong(l.replaceAll("^cmdstat_time:calls=(\\d+),.*$", "$1").trim()))
                .orElse(0L);
    }

    private String onlyBucket() {
        List<String> buckets = List.copyOf(raw.keys(keys.seriesPrefix(p) + "*"));
        assertThat(buckets).hasSize(1);
        return buckets.get(0);
    }

    private void add(String id, String... fields) {
        Map<String, String> all = new java.util.LinkedHashMap<>();
        for (int i = 0; i < fields.length; i += 2) {
            all.put(fields[i], fields[i + 1]);
        }
        RStream<String, String> ops = client.getStream(keys.ops(p), StringCodec.INSTANCE);
        if (id.equals("*")) {
            ops.add(StreamAddArgs.entries(all));
        } else {
            String[] parts = id.split("-");
            ops.add(new StreamMessageId(Long.parseLong(parts[0]), Long.parseLong(parts[1])), StreamAddArgs.entries(all));
        }
    }

    private ReadBatch read() {
        RStream<String, String> ops = client.getStream(keys.ops(p), StringCodec.INSTANCE);
        return ReadBatches.fromFields(ops.readGroup(Keys.GROUP, LEASE, StreamReadGroupArgs.neverDelivered().count(100)),
                new CounterNames(p, P));
    }
}
