package io.tally.bench;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.testkit.RawRedis;
import org.redisson.Redisson;
import org.redisson.api.RStream;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamReadGroupArgs;
import org.redisson.client.codec.StringCodec;
import org.redisson.client.protocol.RedisStrictCommand;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scenario {@code baselines}: what the drain rate is compared with on the same machine: a naive
 * consumer, the bare read-and-acknowledge floor of a Redisson consumer, and {@code redis-benchmark}
 * appending entries of the same shape.
 */
final class BaselinesScenario implements Scenario {
    private static final String GROUP = Keys.GROUP;

    private final BenchContext ctx;
    private final Results results;

    BaselinesScenario(BenchContext ctx) {
        this.ctx = ctx;
        this.results = ctx.results;
    }

    @Override
    public void run(int run) throws Exception {
        TallyConfig config = TallyConfig.builder().env(System.getenv()).set(TallyConfig.REDIS_URL, ctx.redisUrl).build();
        RedissonClient redis = RedisClientFactory.create(config);
        try {
            results.put("baseline.naive", naive(run, redis));
            results.put("baseline.bare", bare(run, redis));
        } finally {
            redis.shutdown();
        }
        double rb = redisBenchmark(run);
        if (!Double.isNaN(rb)) {
            results.put("baseline.redis_benchmark", rb);
        }
    }

    /** XREADGROUP COUNT 1 → HINCRBY → XACK, one entry at a time, partition after partition. */
    private double naive(int run, RedissonClient redis) {
        String ns = ctx.namespace("naive", run);
        long n = ctx.count(20_000, 500);
        long[] expected = new long[Workload.COUNTERS];
        ctx.prefill(ns, n, 7000 + run, expected);
        Keys keys = ctx.keys(ns);
        RedisStrictCommand<Long> hincrby = new RedisStrictCommand<>("HINCRBY");
        try (Observer o = ctx.observer(ns)) {
            o.createGroups();
            long done = 0;
            long start = System.nanoTime();
            for (int p = 0; p < Workload.PARTITIONS; p++) {
                RStream<String, String> stream = redis.getStream(keys.ops(p), StringCodec.INSTANCE);
                String counters = keys.counters(p);
                while (true) {
                    Map<StreamMessageId, Map<String, String>> got = stream.readGroup(GROUP, "naive",
                            StreamReadGroupArgs.neverDelivered().count(1));
                    if (got == null || got.isEmpty()) {
                        break;
                    }
                    for (Map.Entry<StreamMessageId, Map<String, String>> e : got.entrySet()) {
                        Map<String, String> f = e.getValue();
                        long by = Long.parseLong(f.get("by"));
                        long delta = "decr".equals(f.get("op")) ? -by : by;
                        ((Redisson) redis).getCommandExecutor().writeAsync(counters, StringCodec.INSTANCE, hincrby,
                                counters, f.get("counter"), delta).toCompletableFuture().join();
                        stream.ack(GROUP, e.getKey());
                        done++;
                    }
                }
            }
            double rate = done / ((System.nanoTime() - start) / 1e9);
            o.requireExact("naive baseline", expected);
            o.deleteNamespace();
            return rate;
        }
    }

    /** XREADGROUP COUNT 500 → XACK of the ids read, nothing applied: the floor of any Redisson consumer. */
    private double bare(int run, RedissonClient redis) {
        String ns = ctx.namespace("bare", run);
        long n = ctx.count(500_000, 5_000);
        ctx.prefill(ns, n, 8000 + run, new long[Workload.COUNTERS]);
        Keys keys = ctx.keys(ns);
        try (Observer o = ctx.observer(ns)) {
            o.createGroups();
            List<RStream<String, String>> streams = new ArrayList<>();
            for (int p = 0; p < Workload.PARTITIONS; p++) {
                streams.add(redis.getStream(keys.ops(p), StringCodec.INSTANCE));
            }
            long done = 0;
            long start = System.nanoTime();
            boolean any = true;
            while (any) {
                any = false;
                for (RStream<String, String> stream : streams) {
                    Map<StreamMessageId, Map<String, String>> got = stream.readGroup(GROUP, "bare",
                            StreamReadGroupArgs.neverDelivered().count(500));
                    if (got != null && !got.isEmpty()) {
                        stream.ack(GROUP, got.keySet().toArray(StreamMessageId[]::new));
                        done += got.size();
                        any = true;
                    }
                }
            }
            double rate = done / ((System.nanoTime() - start) / 1e9);
            Observer.Progress p = o.progress();
            if (done != n || p.backlog() != 0) {
                throw new IllegalStateException("bare baseline: read " + done + " of " + n + ", backlog left " + p.backlog());
            }
            o.deleteNamespace();
            return rate;
        }
    }

    /** {@code redis-benchmark -P 128 XADD} with 4 fields on a key of the bench's own; NaN when not possible. */
    private double redisBenchmark(int run) throws Exception {
        String password = System.getenv("TALLY_REDIS_PASSWORD");
        if (password != null && !password.isEmpty()) {
            BenchContext.log("redis-benchmark skipped: it would need the password on its command line");
            return Double.NaN;
        }
        String ns = ctx.namespace("rb", run);
        String key = ctx.keys(ns).ops(0);
        URI uri = URI.create(ctx.redisUrl);
        long n = ctx.count(2_000_000, 20_000);
        List<String> cmd = List.of("redis-benchmark", "-h", uri.getHost(), "-p", Integer.toString(uri.getPort()),
                "-P", "128", "-n", Long.toString(n), "-q", "XADD", key, "*", "op", "incr", "counter", "c1", "by", "1",
                "ts", "1700000000000");
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            BenchContext.log("redis-benchmark not found: %s", e.getMessage());
            return Double.NaN;
        }
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(300, TimeUnit.SECONDS);
        try (RawRedis redis = new RawRedis(ctx.redisUrl)) {
            redis.call("UNLINK", key);
        }
        Matcher m = Pattern.compile("([0-9.]+) requests per second").matcher(out);
        double rate = Double.NaN;
        while (m.find()) {
            rate = Double.parseDouble(m.group(1));
        }
        if (Double.isNaN(rate)) {
            BenchContext.log("redis-benchmark printed no rate: %s", out.strip());
        }
        return rate;
    }
}
