package io.tally.producer;

import io.tally.common.config.ConfigException;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.model.InvalidEntryException;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.client.codec.StringCodec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(RealRedisExtension.class)
class TallyProducerTest {

    @Test
    void sendsLandOnTheirPartitionInSendOrder(TestRedis redis) {
        TallyConfig config = redis.config(4).set(TallyConfig.PRODUCER_BATCH_SIZE, 7).build();
        List<CompletableFuture<SendResult>> results = new ArrayList<>();
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            for (int i = 0; i < 1000; i++) {
                results.add(producer.send(CounterOp.set("ordered", i)));
            }
        }
        RedissonClient client = redis.client();
        try {
            int p = results.get(0).join().partition();
            Map<StreamMessageId, Map<String, String>> entries = client.<String, String>getStream(
                    TestRedis.keys(config).ops(p), StringCodec.INSTANCE).range(StreamMessageId.MIN, StreamMessageId.MAX);
            assertThat(entries.values()).extracting(f -> f.get("value"))
                    .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 1000).mapToObj(Integer::toString).toList());
            assertThat(entries.keySet()).extracting(StreamMessageId::toString)
                    .containsExactlyElementsOf(results.stream().map(f -> f.join().entryId()).toList());
        } finally {
            client.shutdown();
        }
    }

    @Test
    void aRepeatedOperationIdWritesOneEntryAndReturnsTheOriginalId(TestRedis redis) {
        TallyConfig config = redis.config(4).build();
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            SendResult first = producer.send(CounterOp.incr("paid", 5).withId("order-42")).join();
            SendResult again = producer.send(CounterOp.incr("paid", 5).withId("order-42")).join();
            SendResult other = producer.send(CounterOp.incr("paid", 5).withId("order-43")).join();
            assertThat(first.duplicate()).isFalse();
            assertThat(again.duplicate()).isTrue();
            assertThat(again.entryId()).isEqualTo(first.entryId());
            assertThat(other.entryId()).isNotEqualTo(first.entryId());
            RedissonClient client = redis.client();
            try {
                assertThat(client.getStream(TestRedis.keys(config).ops(first.partition()), StringCodec.INSTANCE).size())
                        .isEqualTo(2);
            } finally {
                client.shutdown();
            }
        }
    }

    @Test
    void closeFlushesEverySendAndLosesNothing(TestRedis redis) {
        TallyConfig config = redis.config(8).set(TallyConfig.PRODUCER_LINGER_MS, 50).build();
        List<CompletableFuture<SendResult>> results = new ArrayList<>();
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            for (int i = 0; i < 20_000; i++) {
                results.add(producer.incr("c" + (i % 100), 1));
                if (i % 5000 == 0) {
                    results.add(producer.emit(Event.of("tick", Map.of("i", Integer.toString(i)))));
                }
            }
        }
        assertThat(results).allSatisfy(f -> assertThat(f).isCompleted());
        RedissonClient client = redis.client();
        try {
            Keys keys = TestRedis.keys(config);
            long ops = 0;
            long events = 0;
            for (int p = 0; p < 8; p++) {
                ops += client.getStream(keys.ops(p), StringCodec.INSTANCE).size();
                events += client.getStream(keys.events(p), StringCodec.INSTANCE).size();
            }
            assertThat(ops).isEqualTo(20_000);
            assertThat(events).isEqualTo(4);
        } finally {
            client.shutdown();
        }
    }

    @Test
    void invalidInputFailsAtOnceNamingTheField(TestRedis redis) {
        try (TallyProducer producer = RedisTallyProducer.create(redis.config(2).build(), ProducerMetrics.NOOP)) {
            assertThatThrownBy(() -> producer.incr("", 1))
                    .isInstanceOf(InvalidEntryException.class).hasMessageContaining("'counter'");
            assertThatThrownBy(() -> producer.emit(Event.of("x".repeat(201), Map.of())))
                    .isInstanceOf(InvalidEntryException.class).hasMessageContaining("'type'");
        }
    }

    @Test
    void aProducerWithAnotherPartitionCountRefusesToStart(TestRedis redis) {
        TallyConfig eight = redis.config(8).build();
        try (TallyProducer producer = RedisTallyProducer.create(eight, ProducerMetrics.NOOP)) {
            assertThat(producer.partitions()).isEqualTo(8);
        }
        TallyConfig four = eight.toBuilder().set(TallyConfig.PARTITIONS, 4).build();
        assertThatThrownBy(() -> RedisTallyProducer.create(four, ProducerMetrics.NOOP))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("has 8 partitions").hasMessageContaining("--partitions 4");
        TallyConfig unset = eight.toBuilder().set(TallyConfig.PARTITIONS, 0).build();
        try (TallyProducer producer = RedisTallyProducer.create(unset, ProducerMetrics.NOOP)) {
            assertThat(producer.partitions()).isEqualTo(8);
        }
    }

    @Test
    void aPartitionPastTheBacklogLimitRejectsSendsWithRetryAdvice(TestRedis redis) throws Exception {
        TallyConfig config = redis.config(1).set(TallyConfig.BACKLOG_LIMIT, 100).build();
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            for (int i = 0; i < 150; i++) {
                producer.incr("c", 1);
            }
            producer.flush();
            Thread.sleep(2500); // the backlog is sampled once a second
            CompletableFuture<SendResult> refused = producer.incr("c", 1);
            assertThatThrownBy(refused::get).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(BackpressureException.class)
                    .hasMessageContaining("backlog of 150").hasMessageContaining("backlog-limit 100");
        }
    }
}
