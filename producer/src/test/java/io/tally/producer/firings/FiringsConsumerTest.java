package io.tally.producer.firings;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.trigger.Firing;
import io.tally.producer.internal.triggers.RedisFiringsConsumer;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RStream;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamRangeArgs;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@ExtendWith(RealRedisExtension.class)
class FiringsConsumerTest {

    private static void addFiring(RedissonClient redis, Keys keys, int p, String trigger, String cause) {
        RStream<String, String> s = redis.getStream(keys.firings(p), StringCodec.INSTANCE);
        s.add(StreamAddArgs.entries(Map.of("firing_id", trigger + ":" + cause, "trigger", trigger, "kind", "event",
                "cause", cause, "fired_at", "1700000000000", "p.campaign", "spring")));
    }

    private static long pending(RedissonClient redis, Keys keys, int p, String group) {
        return redis.getStream(keys.firings(p), StringCodec.INSTANCE).getPendingInfo(group).getTotal();
    }

    @Test
    void eachFiringOfEveryPartition_isHandledOnceAndAcknowledged(TestRedis testRedis) {
        TallyConfig config = testRedis.config(4).build();
        RedissonClient redis = testRedis.client();
        Keys keys = TestRedis.keys(config);
        Namespace.create(redis, config);
        for (int p = 0; p < 4; p++) {
            addFiring(redis, keys, p, "t" + p + "-01ARZ3NDEKTSV4RRFFQ69G5FAV", "1-" + p);
        }
        List<Firing> seen = new CopyOnWriteArrayList<>();
        try (FiringsConsumer c = RedisFiringsConsumer.builder(redis, config, "billing", seen::add).start()) {
            await().atMost(Duration.ofSeconds(5)).until(() -> c.handled() == 4);
            assertThat(seen).extracting(Firing::partition).containsExactlyInAnyOrder(0, 1, 2, 3);
            assertThat(seen).allSatisfy(f -> assertThat(f.params()).containsEntry("campaign", "spring"));
            for (int p = 0; p < 4; p++) {
                assertThat(pending(redis, keys, p, "billing")).isZero();
            }
        } finally {
            redis.shutdown();
        }
    }

    @Test
    void consumerKilledMidHandler_itsFiringIsRedeliveredToAnotherConsumer(TestRedis testRedis) throws Exception {
        TallyConfig config = testRedis.config(2).build();
        RedissonClient redis = testRedis.client();
        Keys keys = TestRedis.keys(config);
        Namespace.create(redis, config);
        addFiring(redis, keys, 1, "t1-01ARZ3NDEKTSV4RRFFQ69G5FAV", "5-0");
        CountDownLatch inHandler = new CountDownLatch(1);
        FiringsConsumer a = RedisFiringsConsumer.builder(redis, config, "mailer", f -> {
            inHandler.countDown();
            Thread.sleep(60_000); // stuck until the consumer dies
        }).consumerName("a").claimIdle(Duration.ofMillis(300)).start();
        try {
            assertThat(inHandler.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            a.close(); // dies mid-handler: no acknowledgment
            assertThat(a.handled()).isZero();
            assertThat(pending(redis, keys, 1, "mailer")).isEqualTo(1);

            List<Firing> seen = new CopyOnWriteArrayList<>();
            try (FiringsConsumer b = RedisFiringsConsumer.builder(redis, config, "mailer", seen::add)
                    .consumerName("b").claimIdle(Duration.ofMillis(300)).start()) {
                await().atMost(Duration.ofSeconds(5)).until(() -> b.handled() == 1);
                assertThat(seen).extracting(Firing::firingId).containsExactly("t1-01ARZ3NDEKTSV4RRFFQ69G5FAV:5-0");
                assertThat(pending(redis, keys, 1, "mailer")).isZero();
            }
        } finally {
            a.close();
            redis.shutdown();
        }
    }

    @Test
    void alwaysThrowingHandler_firingEndsInDeadLetterStreamAfterNDeliveries(TestRedis testRedis) {
        TallyConfig config = testRedis.config(2).build();
        RedissonClient redis = testRedis.client();
        Keys keys = TestRedis.keys(config);
        Namespace.create(redis, config);
        addFiring(redis, keys, 0, "t0-01ARZ3NDEKTSV4RRFFQ69G5FAV", "7-0");
        AtomicInteger calls = new AtomicInteger();
        try (FiringsConsumer c = RedisFiringsConsumer.builder(redis, config, "webhook", f -> {
            calls.incrementAndGet();
            throw new IllegalStateException("endpoint down");
        }).maxDeliveries(3).claimIdle(Duration.ofMillis(100)).start()) {
            RStream<String, String> dlq = redis.getStream(keys.firingsDlq(0), StringCodec.INSTANCE);
            await().atMost(Duration.ofSeconds(10)).until(() -> dlq.size() == 1 && c.deadLettered() == 1);
            assertThat(calls.get()).isEqualTo(3);
            assertThat(c.failures()).isEqualTo(3);
            assertThat(c.deadLettered()).isEqualTo(1);
            Map<String, String> dead = dlq.range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX)).values().iterator().next();
            assertThat(dead).containsEntry("f.firing_id", "t0-01ARZ3NDEKTSV4RRFFQ69G5FAV:7-0")
                    .containsEntry("group", "webhook").containsEntry("deliveries", "3")
                    .containsEntry("f.p.campaign", "spring")
                    .containsEntry("error", c.consumerName() + ": java.lang.IllegalStateException: endpoint down");
            assertThat(pending(redis, keys, 0, "webhook")).isZero();
            assertThat(redis.getMap(keys.firingsErrors(0), StringCodec.INSTANCE).isExists())
                    .as("the error leaves the errors hash with the firing").isFalse();
        } finally {
            redis.shutdown();
        }
    }

    @Test
    void handlerThatFailsOnceThenSucceeds_leavesNoErrorAndNoDeadLetter(TestRedis testRedis) {
        TallyConfig config = testRedis.config(2).build();
        RedissonClient redis = testRedis.client();
        Keys keys = TestRedis.keys(config);
        Namespace.create(redis, config);
        addFiring(redis, keys, 1, "t1-01ARZ3NDEKTSV4RRFFQ69G5FAV", "9-0");
        AtomicInteger calls = new AtomicInteger();
        try (FiringsConsumer c = RedisFiringsConsumer.builder(redis, config, "webhook", f -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("timeout");
            }
        }).maxDeliveries(3).claimIdle(Duration.ofMillis(100)).start()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> c.handled() == 1);
            assertThat(calls.get()).isEqualTo(2);
            assertThat(c.failures()).isEqualTo(1);
            assertThat(c.deadLettered()).isZero();
            assertThat(pending(redis, keys, 1, "webhook")).isZero();
            assertThat(redis.getStream(keys.firingsDlq(1), StringCodec.INSTANCE).isExists()).isFalse();
            assertThat(redis.getMap(keys.firingsErrors(1), StringCodec.INSTANCE).isExists())
                    .as("the recorded error is removed with the ack").isFalse();
        } finally {
            redis.shutdown();
        }
    }

    @Test
    void entryThatIsNotAFiring_neverReachesTheHandler_countsAsAFailure_andDeadLettersWithWhy(TestRedis testRedis) {
        TallyConfig config = testRedis.config(1).build();
        RedissonClient redis = testRedis.client();
        Namespace.create(redis, config);
        Keys keys = Namespace.keys(redis, config.namespace());
        RStream<String, String> firings = redis.getStream(keys.firings(0), StringCodec.INSTANCE);
        firings.add(StreamAddArgs.entries(Map.of("firing_id", "x:1", "trigger", "x", "kind", "event", "cause", "1",
                "fired_at", "yesterday")));
        addFiring(redis, keys, 0, "t0-01ARZ3NDEKTSV4RRFFQ69G5FAV", "8-0");
        List<Firing> seen = new CopyOnWriteArrayList<>();
        try (FiringsConsumer c = RedisFiringsConsumer.builder(redis, config, "webhook", seen::add)
                .maxDeliveries(2).claimIdle(Duration.ofMillis(100)).start()) {
            RStream<String, String> dlq = redis.getStream(keys.firingsDlq(0), StringCodec.INSTANCE);
            await().atMost(Duration.ofSeconds(10)).until(() -> c.deadLettered() == 1 && c.handled() == 1);
            assertThat(seen).extracting(Firing::firingId).containsExactly("t0-01ARZ3NDEKTSV4RRFFQ69G5FAV:8-0");
            assertThat(c.failures()).as("one per delivery").isEqualTo(2);
            Map<String, String> dead = dlq.range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX))
                    .values().iterator().next();
            assertThat(dead).containsEntry("f.fired_at", "yesterday").containsEntry("deliveries", "2");
            assertThat(dead.get("error")).startsWith(c.consumerName() + ": not a firing: ")
                    .contains("malformed number");
            assertThat(pending(redis, keys, 0, "webhook")).isZero();
        } finally {
            redis.shutdown();
        }
    }
}
