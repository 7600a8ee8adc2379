package io.tally.processor.internal.apply;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.transport.HotPath;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.ReplyCuttingProxy;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RStream;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.client.RedisException;
import org.redisson.client.codec.StringCodec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Apply rounds driven one call at a time over a direct connection that loses
 * replies at random (cut after Redis ran the scripts, or before), with the scripts flushed now and then
 * (NOSCRIPT) and the loop draining its pipelines now and then (as before a lease changes hands): counters,
 * their series buckets and the firings of event triggers end exact, and nothing stays pending.
 */
@ExtendWith(RealRedisExtension.class)
class ApplyRoundFaultsTest {
    private static final int P = 4;
    private static final String LEASE = "me:1";
    private static final int BATCH = 20;

    @Test
    void directConnection_countsStayExactUnderLostRepliesFlushedScriptsAndDrains(TestRedis redis) {
        countsStayExact(redis, false);
    }

    /** Through Redisson a round's scripts and reads are separate batches, which may take two connections. */
    @Test
    void redisson_countsStayExactUnderLostRepliesFlushedScriptsAndDrains(TestRedis redis) {
        countsStayExact(redis, true);
    }

    private void countsStayExact(TestRedis redis, boolean redisson) {
        RedissonClient client = redis.client();
        try (ReplyCuttingProxy proxy = ReplyCuttingProxy.start(port(redis.url()))) {
            TallyConfig base = redis.config(P).build();
            TallyConfig viaProxy = TallyConfig.builder().set(TallyConfig.REDIS_URL, proxy.url())
                    .set(TallyConfig.NAMESPACE, base.namespace()).set(TallyConfig.PARTITIONS, P).build();
            RedissonClient hot = redisson ? RedisClientFactory.create(viaProxy) : client;
            Keys keys = Namespace.create(client, base).keys();
            Partitioner partitioner = new Partitioner(P);
            Workers workers = new Workers();
            for (int p = 0; p < P; p++) {
                client.getBucket(keys.lease(p), StringCodec.INSTANCE).set(LEASE);
                workers.add(p);
            }
            List<String> counters = List.of("c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7");
            List<String> types = List.of("t0", "t1", "t2", "t3", "t4", "t5");
            for (String type : types) {
                int p = partitioner.partitionOf(type);
                client.<String, String>getMap(keys.triggers(p), StringCodec.INSTANCE)
                        .putAll(Map.of("e-" + type, "{\"kind\":\"event\"}", "e-" + type + ":status", "active"));
                client.<String, String>getMap(keys.triggersByEvent(p), StringCodec.INSTANCE).put(type, "e-" + type);
            }
            ApplyRound round = new ApplyRound(hot, keys, P, LEASE, BATCH, ProcessorListener.NOOP,
                    base.get(TallyConfig.SERIES_WINDOWS), base.get(TallyConfig.SERIES_FUTURE_MS),
                    base.get(TallyConfig.MAX_FIRINGS_PER_CALL), 5, 0,
                    redisson ? HotPath.redisson() : HotPath.from(viaProxy));
            List<Integer> lost = new ArrayList<>();
            Map<String, Long> sent = new HashMap<>();
            Map<String, Long> windowed = new HashMap<>();
            Map<String, Long> events = new HashMap<>();
            Random random = new Random(Long.getLong("seed", 42));
            try {
                round.load();
                proxy.cutRandomly("EVALSHA", redisson ? 0.015 : 0.04); // Redisson waits out its reply timeout
                for (int i = 0; i < Integer.getInteger("iters", 600); i++) {
                    int burst = random.nextInt(10) == 0 ? 3 * BATCH + random.nextInt(BATCH) : random.nextInt(12);
                    for (int n = 0; n < burst; n++) {
                        if (random.nextInt(4) == 0) {
                            String type = types.get(random.nextInt(types.size()));
                            add(client, keys.events(partitioner.partitionOf(type)), "type", type);
                            events.merge(type, 1L, Long::sum);
                            continue;
                        }
                        String c = counters.get(random.nextInt(counters.size()));
                        long by = random.nextInt(5) + 1;
                        int p = partitioner.partitionOf(c);
                        if (random.nextInt(30) == 0) {
                            add(client, keys.ops(partitioner.partitionOf("u" + c)), "op", "unique", "counter", "u" + c, "member", "m" + i);
                        } else if (random.nextBoolean()) {
                            add(client, keys.ops(p), "op", "incr", "counter", c, "by", Long.toString(by), "windows", "1m");
                            sent.merge(c, by, Long::sum);
                            windowed.merge(c, by, Long::sum);
                        } else {
                            add(client, keys.ops(p), "op", "incr", "counter", c, "by", Long.toString(by));
                            sent.merge(c, by, Long::sum);
                        }
                    }
                    runQuietly(round, workers, lost);
                    if (random.nextInt(50) == 0) {
                        drainQuietly(round);
                    }
                    if (random.nextInt(150) == 0) {
                        client.getScript().scriptFlush();
                    }
                }
                proxy.cutRandomly("EVALSHA", 0);
                for (int i = 0; i < 5000 && !allApplied(client, keys); i++) {
                    runQuietly(round, workers, lost);
                }
                drainQuietly(round);
            } finally {
                round.close();
                if (hot != client) {
                    hot.shutdown();
                }
            }

            assertThat(proxy.cuts()).as("replies lost").isPositive();
            assertThat(allApplied(client, keys)).as("every stream applied up to its last entry").isTrue();
            assertThat(lost).isEmpty();
            for (String c : counters) {
                int p = partitioner.partitionOf(c);
                String total = client.<String, String>getMap(keys.counters(p), StringCodec.INSTANCE).get(c);
                assertThat(total).as("counter " + c).isEqualTo(String.valueOf(sent.getOrDefault(c, 0L)));
                assertThat(bucketSum(client, keys, p, c)).as("1m buckets of " + c).isEqualTo(windowed.getOrDefault(c, 0L));
            }
            for (String type : types) {
                int p = partitioner.partitionOf(type);
                String fired = client.<String, String>getMap(keys.triggers(p), StringCodec.INSTANCE).get("e-" + type + ":fireCount");
                assertThat(fired == null ? 0 : Long.parseLong(fired)).as("firings of " + type)
                        .isEqualTo(events.getOrDefault(type, 0L));
            }
            for (int p = 0; p < P; p++) {
                assertThat(client.<String, String>getStream(keys.dlq(p), StringCodec.INSTANCE)
                        .range(org.redisson.api.stream.StreamMessageId.MIN, org.redisson.api.stream.StreamMessageId.MAX).values())
                        .as("dead letters").isEmpty();
            }
        }
    }

    /** One round; a failure the loop would back off from is what this test provokes. */
    private static void runQuietly(ApplyRound round, Workers workers, List<Integer> lost) {
        try {
            round.run(workers.active(), lost::add);
        } catch (RedisException | IllegalStateException e) {
            // the loop backs off and goes on
        }
    }

    /** Waits for every pipeline in flight, as the loop does before a lease changes hands. */
    private static void drainQuietly(ApplyRound round) {
        for (int i = 0; i < 2; i++) {
            try {
                round.drain();
            } catch (RedisException | IllegalStateException e) {
                // a group whose every step failed throws; the loop backs off and drains again
            }
        }
    }

    private static boolean allApplied(RedissonClient client, Keys keys) {
        for (int p = 0; p < P; p++) {
            Map<String, String> checkpoint = client.<String, String>getMap(keys.checkpoint(p), StringCodec.INSTANCE)
                    .readAllMap();
            for (String topic : List.of("ops", "events")) {
                RStream<String, String> s = client.getStream(topic.equals("ops") ? keys.ops(p) : keys.events(p),
                        StringCodec.INSTANCE);
                if (s.isExists() && s.size() > 0
                        && !s.getInfo().getLastGeneratedId().toString().equals(checkpoint.get(topic))) {
                    return false;
                }
                if (s.isExists() && s.size() > 0 && s.getPendingInfo(Keys.GROUP).getTotal() > 0) {
                    return false;
                }
            }
        }
        return true;
    }

    private static long bucketSum(RedissonClient client, Keys keys, int p, String counter) {
        long sum = 0;
        for (String bucket : client.<String>getScoredSortedSet(keys.seriesIndex(p), StringCodec.INSTANCE).readAll()) {
            if (bucket.startsWith(keys.seriesPrefix(p) + "1m:")) {
                String v = client.<String, String>getMap(bucket, StringCodec.INSTANCE).get(counter);
                sum += v == null ? 0 : Long.parseLong(v);
            }
        }
        return sum;
    }

    private static void add(RedissonClient client, String stream, String... fields) {
        Map<String, String> map = new java.util.LinkedHashMap<>();
        for (int i = 0; i < fields.length; i += 2) {
            map.put(fields[i], fields[i + 1]);
        }
        client.<String, String>getStream(stream, StringCodec.INSTANCE).add(StreamAddArgs.entries(map));
    }

    private static int port(String url) {
        return Integer.parseInt(url.substring(url.lastIndexOf(':') + 1).replaceAll("[^0-9].*$", ""));
    }
}
