package io.tally.processor.trigger;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.model.Event;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.trigger.Firing;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerMode;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.common.internal.redis.Namespace;
import io.tally.processor.internal.RedisProcessor;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.producer.triggers.TriggerClient;
import io.tally.testkit.PipelineInspector;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.redisson.api.RedissonClient;
import org.redisson.api.redisnode.RedisNodes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Trigger figures on a private {@code redis-server}: firings/s through one in-process processor, and
 * time-trigger lateness. Not a test: run it and read what it prints (docs/triggers.md has the command).
 *
 * <p>Firings/s: {@code events} events are written first, then one processor applies them all; each
 * event matches {@code triggersPerType} {@code every} triggers of its type. The same run without any
 * trigger gives the baseline. Lateness: {@code timeTriggers} once triggers due evenly over 10 s; the
 * lateness of each is {@code fired_at - cause} (Redis time, ms) as recorded in its firing.
 *
 * <p>Arguments (all optional): events (100000), triggers per event type (4), time triggers (2000).
 */
public final class TriggerBench {
    private static final int P = 16;
    private static final List<String> TYPES = List.of("click", "view", "buy", "signup", "share");

    private TriggerBench() {
    }

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int perType = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int timeTriggers = args.length > 2 ? Integer.parseInt(args[2]) : 2_000;
        try (RedisServer server = RedisServer.start()) {
            System.out.printf("TriggerBench %s, %d cores, load average %s, %s%n", ZonedDateTime.now(),
                    Runtime.getRuntime().availableProcessors(), loadAverage(), redisVersion());
            Run baseline = applyEvents(server.url(), events, 0);
            Run withTriggers = applyEvents(server.url(), events, perType);
            System.out.printf("events without triggers: %,d events in %,d ms = %,.0f events/s%n",
                    baseline.events, baseline.ms, baseline.events * 1000.0 / baseline.ms);
            System.out.printf("events with %d every-triggers each: %,d events, %,d firings in %,d ms = %,.0f events/s, "
                            + "%,.0f firings/s%n", perType, withTriggers.events, withTriggers.firings, withTriggers.ms,
                    withTriggers.events * 1000.0 / withTriggers.ms, withTriggers.firings * 1000.0 / withTriggers.ms);
            lateness(server.url(), timeTriggers);
        }
    }

    private record Run(int events, long firings, long ms) {
    }

    /** Writes the events, then times one processor applying them (and firing the triggers). */
    private static Run applyEvents(String url, int events, int perType) throws Exception {
        TallyConfig config = config(url);
        RedissonClient redis = RedisClientFactory.create(config);
        Namespace.create(redis, config); // a processor creates it at its start, which comes after the writes here
        try (TriggerClient triggers = RedisTriggerClient.create(redis, config, InstantSource.system());
             TallyProducer producer = RedisTallyProducer.create(redis, false, config, ProducerMetrics.NOOP)) {
            for (String type : TYPES) {
                for (int i = 0; i < perType; i++) {
                    // Every event carries a=1 and b=2, so every trigger of its type matches it.
                    TriggerDefinition.Builder d = TriggerDefinition.event(type).mode(TriggerMode.EVERY).param("i", "" + i);
                    if (i % 2 == 1) {
                        d.match("a", "1");
                    }
                    if (i % 4 >= 2) {
                        d.match("b", "2");
                    }
                    triggers.create(d.build());
                }
            }
            for (int i = 0; i < events; i++) {
                producer.emit(Event.of(TYPES.get(i % TYPES.size()), Map.of("a", "1", "b", "2", "seq", "" + i)));
                if (i % 10_000 == 9_999) {
                    producer.flush(); // stay within the producer's buffer
                }
            }
            producer.flush();
            PipelineInspector inspector = new PipelineInspector(redis, config.namespace(), P);
            long start = System.nanoTime();
            try (Processor processor = RedisProcessor.start(redis, config, ProcessorListener.NOOP)) {
                while (!inspector.checkpointMismatches().isEmpty()) {
                    Thread.sleep(20);
                }
                long ms = Math.max(1, (System.nanoTime() - start) / 1_000_000);
                long firings = firingsCount(redis, TestRedis.keys(config));
                return new Run(events, firings, ms);
            }
        } finally {
            redis.shutdown();
        }
    }

    /** Once time triggers due evenly over 10 s from 5 s ahead; prints lateness percentiles. */
    private static void lateness(String url, int count) throws Exception {
        TallyConfig config = config(url);
        RedissonClient redis = RedisClientFactory.create(config);
        Namespace.create(redis, config);
        try (TriggerClient triggers = RedisTriggerClient.create(redis, config, InstantSource.system());
             Processor processor = RedisProcessor.start(redis, config, ProcessorListener.NOOP)) {
            long first = redisTimeMs(redis) + 5_000; // leaves time to create them all
            for (int i = 0; i < count; i++) {
                triggers.create(TriggerDefinition.time(first + 10_000L * i / count).build());
            }
            Keys keys = TestRedis.keys(config);
            while (firingsCount(redis, keys) < count && redisTimeMs(redis) < first + 30_000) {
                Thread.sleep(200);
            }
            List<Long> late = new ArrayList<>();
            for (Firing f : FiringsLog.all(redis, keys, P)) {
                late.add(f.firedAt() - Long.parseLong(f.cause()));
            }
            Collections.sort(late);
            System.out.printf("time triggers: %,d of %,d fired (trigger-poll-ms %d); lateness ms p50 %d, p99 %d, max %d%n",
                    late.size(), count, config.get(TallyConfig.TRIGGER_POLL_MS), pct(late, 50), pct(late, 99),
                    late.isEmpty() ? -1 : late.get(late.size() - 1));
        } finally {
            redis.shutdown();
        }
    }

    private static TallyConfig config(String url) {
        return TallyConfig.builder().set(TallyConfig.REDIS_URL, url).set(TallyConfig.NAMESPACE, TestRedis.uniqueNamespace())
                .set(TallyConfig.PARTITIONS, P).build();
    }

    private static long firingsCount(RedissonClient redis, Keys keys) {
        long n = 0;
        for (int p = 0; p < P; p++) {
            n += redis.getStream(keys.firings(p)).size();
        }
        return n;
    }

    private static long pct(List<Long> sorted, int percentile) {
        if (sorted.isEmpty()) {
            return -1;
        }
        int i = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    private static long redisTimeMs(RedissonClient redis) {
        org.redisson.client.protocol.Time t = redis.getRedisNodes(RedisNodes.SINGLE).getInstance().time();
        return t.getSeconds() * 1000L + t.getMicroseconds() / 1000;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "unknown";
        }
    }

    private static String redisVersion() {
        try {
            Process p = new ProcessBuilder("redis-server", "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            return out.replaceAll(" sha=.*", "");
        } catch (Exception e) {
            return "redis-server (version unknown)";
        }
    }
}
