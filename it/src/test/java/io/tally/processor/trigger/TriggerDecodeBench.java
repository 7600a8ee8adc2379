package io.tally.processor.trigger;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.internal.trigger.TriggerJson;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.RedisProcessor;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.producer.triggers.TriggerClient;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;

/**
 * How long one apply call holds Redis when its batch holds one event of a type with as many triggers as
 * {@code max-triggers-per-key} allows, each as large as the trigger API takes ({@code match} and {@code params} at
 * their byte caps), none matching: the script decodes the head (the definition without params) of every one. Not a
 * test: run it and read the longest script Redis ran (SLOWLOG; docs/triggers.md has the command).
 *
 * <p>Arguments (optional): triggers (1000).
 */
public final class TriggerDecodeBench {
    private TriggerDecodeBench() {
    }

    public static void main(String[] args) throws Exception {
        int triggers = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        try (RedisServer server = RedisServer.start()) {
            TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                    .set(TallyConfig.NAMESPACE, TestRedis.uniqueNamespace()).set(TallyConfig.PARTITIONS, 1).build();
            RedissonClient redis = RedisClientFactory.create(config);
            try {
                Namespace.create(redis, config);
                TriggerClient client = RedisTriggerClient.create(redis, config, InstantSource.system());
                int bytes = 0;
                for (int i = 0; i < triggers; i++) {
                    TriggerDefinition def = largest(i);
                    bytes = TriggerJson.writeDefinition("t", def).getBytes(StandardCharsets.UTF_8).length;
                    client.create(def);
                }
                try (TallyProducer producer = RedisTallyProducer.create(redis, false, config, ProducerMetrics.NOOP)) {
                    producer.emit(new Event("big", Map.of("k0", "no match"), "ev-1", null)).join();
                    producer.send(CounterOp.incr("done", 1)).join();
                }
                Keys keys = TestRedis.keys(config);
                try (RawRedis raw = new RawRedis(server.url())) {
                    raw.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
                    raw.call("SLOWLOG", "RESET");
                    try (Processor processor = RedisProcessor.start(redis, config, ProcessorListener.NOOP)) {
                        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                        while (!"1".equals(redis.<String, String>getMap(keys.counters(0), StringCodec.INSTANCE)
                                .get("done")) && System.nanoTime() < deadline) {
                            Thread.sleep(50);
                        }
                    }
                    System.out.printf("%,d non-matching event triggers of %,d bytes each: the longest Redis command "
                            + "ran %,d us%n", triggers, bytes, longestMicros(raw));
                }
            } finally {
                redis.shutdown();
            }
        }
    }

    /** An event trigger with match and params at their byte caps. */
    private static TriggerDefinition largest(int i) {
        TriggerDefinition.Builder def = TriggerDefinition.event("big");
        def.match("k0", "x".repeat(1000) + i).match("k1", "y".repeat(1000));
        for (int j = 0; j < 8; j++) {
            def.param("p" + j, "z".repeat(1000));
        }
        return def.build();
    }

    private static long longestMicros(RawRedis raw) {
        long longest = 0;
        for (Object entry : (List<?>) raw.call("SLOWLOG", "GET", "-1")) {
            longest = Math.max(longest, ((Number) ((List<?>) entry).get(2)).longValue());
        }
        return longest;
    }
}
