package io.tally.producer;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.model.CounterOp;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/** Sends that wait for room in a small buffer instead of failing with backpressure. */
@ExtendWith(RealRedisExtension.class)
class BlockingSendTest {
    private static final int SENDS = 50_000; // ~200 times the buffer

    @Test
    void aTightLoopOfBlockingSends_throughASmallBuffer_allSucceed(TestRedis redis) throws Exception {
        TallyConfig config = redis.config(4).set(TallyConfig.PRODUCER_BUFFER, 256).build();
        List<CompletableFuture<SendResult>> results = new ArrayList<>(SENDS);
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            for (int i = 0; i < SENDS; i++) {
                results.add(producer.send(CounterOp.incr("tight." + (i % 64), 1), Duration.ofSeconds(30)));
            }
            producer.flush();
        }
        assertThat(results).allSatisfy(f -> assertThat(f.join().entryId()).isNotBlank());
        assertThat(entries(redis, config)).isEqualTo(SENDS);
    }

    @Test
    void theSameLoopWithoutBlocking_isRefusedWithBackpressure(TestRedis redis) {
        TallyConfig config = redis.config(4).set(TallyConfig.PRODUCER_BUFFER, 256).build();
        List<CompletableFuture<SendResult>> results = new ArrayList<>(SENDS);
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            for (int i = 0; i < SENDS; i++) {
                results.add(producer.send(CounterOp.incr("loose." + (i % 64), 1)));
            }
        }
        long refused = results.stream().filter(f -> {
            try {
                f.join();
                return false;
            } catch (CompletionException e) {
                return e.getCause() instanceof BackpressureException;
            }
        }).count();
        assertThat(refused).isPositive();
        assertThat(entries(redis, config)).isEqualTo(SENDS - refused);
    }

    @Test
    void sendAndWait_returnsTheWrittenEntry(TestRedis redis) throws Exception {
        TallyConfig config = redis.config(4).set(TallyConfig.PRODUCER_BUFFER, 1).build();
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            for (int i = 0; i < 100; i++) {
                SendResult r = producer.sendAndWait(CounterOp.incr("waited", 1), Duration.ofSeconds(10));
                assertThat(r.duplicate()).isFalse();
            }
        }
        assertThat(entries(redis, config)).isEqualTo(100);
    }

    private static long entries(TestRedis redis, TallyConfig config) {
        RedissonClient client = redis.client();
        try {
            Keys keys = TestRedis.keys(config);
            long total = 0;
            for (int p = 0; p < 4; p++) {
                total += client.getStream(keys.ops(p), StringCodec.INSTANCE).size();
            }
            return total;
        } finally {
            client.shutdown();
        }
    }
}
