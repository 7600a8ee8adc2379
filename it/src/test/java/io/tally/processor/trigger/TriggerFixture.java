package io.tally.processor.trigger;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.trigger.Firing;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.RedisProcessor;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.producer.triggers.TriggerClient;
import io.tally.testkit.TestRedis;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamRangeArgs;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;

/** A namespace on the test's Redis with processors, a producer and a trigger client; closes them all. */
final class TriggerFixture implements AutoCloseable {
    final TallyConfig config;
    final RedissonClient redis;
    final Keys keys;
    final TallyProducer producer;
    final TriggerClient triggers;
    final List<Processor> processors = new ArrayList<>();

    TriggerFixture(TestRedis testRedis, int partitions, int processorCount) {
        this(testRedis, partitions, processorCount, ProcessorListener.NOOP);
    }

    /** As above, the processors reporting to {@code metrics}. */
    TriggerFixture(TestRedis testRedis, int partitions, int processorCount, ProcessorListener metrics) {
        this.config = testRedis.config(partitions).set(TallyConfig.TICK_MS, 100).build();
        this.redis = testRedis.client();
        this.keys = TestRedis.keys(config);
        this.producer = RedisTallyProducer.create(redis, false, config, io.tally.producer.ProducerMetrics.NOOP);
        this.triggers = RedisTriggerClient.create(redis, config, InstantSource.system());
        for (int i = 0; i < processorCount; i++) {
            processors.add(RedisProcessor.start(redis, config, metrics));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> processorCount == 0 ||
                processors.stream().mapToInt(p -> p.ownedPartitions().size()).sum() == partitions
                        && processors.stream().allMatch(Processor::ready));
    }

    /** Every firing of every partition, in stream order per partition. */
    List<Firing> firings() {
        int partitions = triggers.partitions();
        List<Firing> out = new ArrayList<>();
        IntStream.range(0, partitions).forEach(p -> {
            Map<StreamMessageId, Map<String, String>> entries = redis.<String, String>getStream(keys.firings(p),
                    StringCodec.INSTANCE).range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX));
            // The range comes back as a map without a guaranteed order: sort by entry id.
            entries.entrySet().stream()
                    .sorted(Comparator.comparingLong((Map.Entry<StreamMessageId, Map<String, String>> e) ->
                            e.getKey().getId0()).thenComparingLong(e -> e.getKey().getId1()))
                    .forEach(e -> out.add(Firing.fromFields(p, e.getKey().toString(), e.getValue())));
        });
        return out;
    }

    List<Firing> firingsOf(String triggerId) {
        return firings().stream().filter(f -> f.triggerId().equals(triggerId)).toList();
    }

    long redisTimeMs() {
        return millis(redis.getRedisNodes(org.redisson.api.redisnode.RedisNodes.SINGLE).getInstance().time());
    }

    private static long millis(org.redisson.client.protocol.Time t) {
        return t.getSeconds() * 1000L + t.getMicroseconds() / 1000;
    }

    @Override
    public void close() {
        processors.forEach(Processor::close);
        producer.close();
        triggers.close();
        redis.shutdown();
    }
}
