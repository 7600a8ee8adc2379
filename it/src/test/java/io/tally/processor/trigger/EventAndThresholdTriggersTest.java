package io.tally.processor.trigger;

import io.tally.common.model.Event;
import io.tally.common.trigger.Firing;
import io.tally.common.trigger.ThresholdOp;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerKind;
import io.tally.common.trigger.TriggerMode;
import io.tally.common.trigger.TriggerStatus;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@ExtendWith(RealRedisExtension.class)
class EventAndThresholdTriggersTest {

    @Test
    void seedScenario_onceTriggerFiresOnce_everyTriggerFiresOnEachClick(TestRedis testRedis) {
        try (TriggerFixture fx = new TriggerFixture(testRedis, 4, 1)) {
            Trigger once = fx.triggers.create(TriggerDefinition.event("click").param("campaign", "spring").build());
            Trigger every = fx.triggers.create(TriggerDefinition.event("click").mode(TriggerMode.EVERY).build());
            Trigger onView = fx.triggers.create(TriggerDefinition.event("view").match("page", "home").build());

            for (int i = 0; i < 3; i++) {
                fx.producer.emit(Event.of("click", Map.of("n", Integer.toString(i))));
            }
            fx.producer.emit(Event.of("view", Map.of("page", "pricing")));
            fx.producer.flush();

            await().atMost(Duration.ofSeconds(10)).until(() -> fx.firingsOf(every.id()).size() == 3);
            List<Firing> onceFirings = fx.firingsOf(once.id());
            assertThat(onceFirings).hasSize(1);
            Firing f = onceFirings.get(0);
            assertThat(f.kind()).isEqualTo(TriggerKind.EVENT);
            assertThat(f.params()).containsExactly(Map.entry("campaign", "spring"));
            assertThat(f.firingId()).isEqualTo(once.id() + ":" + f.cause());
            assertThat(f.missed()).isEqualTo(-1);

            Trigger onceAfter = fx.triggers.get(once.id()).orElseThrow();
            assertThat(onceAfter.status()).isEqualTo(TriggerStatus.FIRED);
            assertThat(onceAfter.fireCount()).isEqualTo(1);
            assertThat(onceAfter.lastFiredAt()).isEqualTo(f.firedAt());
            Trigger everyAfter = fx.triggers.get(every.id()).orElseThrow();
            assertThat(everyAfter.status()).isEqualTo(TriggerStatus.ACTIVE);
            assertThat(everyAfter.fireCount()).isEqualTo(3);
            // The view event did not carry page=home: no firing.
            assertThat(fx.firingsOf(onView.id())).isEmpty();
            assertThat(fx.triggers.list(TriggerStatus.FIRED, null)).extracting(Trigger::id).containsExactly(once.id());
            assertThat(fx.triggers.list(TriggerStatus.ACTIVE, TriggerKind.EVENT)).extracting(Trigger::id)
                    .containsExactlyInAnyOrder(every.id(), onView.id());
        }
    }

    @Test
    void threshold_fourProcessors5000Incr_firesExactlyOnce(TestRedis testRedis) {
        try (TriggerFixture fx = new TriggerFixture(testRedis, 8, 4)) {
            Trigger t = fx.triggers.create(TriggerDefinition.threshold("clicks", ThresholdOp.GTE, 1000).build());
            Trigger every = fx.triggers.create(TriggerDefinition.threshold("clicks", ThresholdOp.GTE, 1000)
                    .mode(TriggerMode.EVERY).build());
            CompletableFuture<?>[] sends = new CompletableFuture<?>[5000];
            for (int i = 0; i < 5000; i++) {
                sends[i] = fx.producer.incr("clicks", 1);
            }
            CompletableFuture.allOf(sends).join();
            int p = TriggerIdsPartition.of(t.id());
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    "5000".equals(fx.redis.<String, String>getMap(fx.keys.counters(p),
                            org.redisson.client.codec.StringCodec.INSTANCE).get("clicks")));
            assertThat(fx.firingsOf(t.id())).hasSize(1);
            // Never crossed back below 1000: the every trigger fired once too, on the 1000th increment.
            assertThat(fx.firingsOf(every.id())).hasSize(1);
            assertThat(fx.triggers.get(t.id()).orElseThrow().status()).isEqualTo(TriggerStatus.FIRED);
        }
    }

    @Test
    void thresholdEvery_counterCrossingUpAndDownKTimes_firesKTimes(TestRedis testRedis) {
        try (TriggerFixture fx = new TriggerFixture(testRedis, 4, 1)) {
            fx.producer.set("temp", 500).join();
            Trigger gte = fx.triggers.create(TriggerDefinition.threshold("temp", ThresholdOp.GTE, 1000)
                    .mode(TriggerMode.EVERY).build());
            Trigger lte = fx.triggers.create(TriggerDefinition.threshold("temp", ThresholdOp.LTE, 0)
                    .mode(TriggerMode.EVERY).build());
            int k = 7;
            for (int i = 0; i < k; i++) {
                fx.producer.incr("temp", 300);   //  800: below the line
                fx.producer.incr("temp", 300);   // 1100: crosses up, fires
                fx.producer.incr("temp", 300);   // 1400: still above, no firing
                fx.producer.decr("temp", 900);   //  500: crosses back, re-arms
            }
            fx.producer.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> fx.triggers.get(gte.id()).orElseThrow().fireCount() == k);
            assertThat(fx.firingsOf(gte.id())).hasSize(k);
            assertThat(fx.firingsOf(gte.id())).extracting(Firing::firingId).doesNotHaveDuplicates();
            assertThat(fx.firingsOf(lte.id())).isEmpty();
        }
    }

    @Test
    void threshold_createdWhileConditionHolds_firesOnlyAfterCrossingBackAndAgain(TestRedis testRedis) {
        try (TriggerFixture fx = new TriggerFixture(testRedis, 4, 1)) {
            fx.producer.set("stock", 50).join();
            await().atMost(Duration.ofSeconds(10)).until(() -> "50".equals(fx.redis.<String, String>getMap(
                    fx.keys.counters(TriggerIdsPartition.ofCounter(fx, "stock")),
                    org.redisson.client.codec.StringCodec.INSTANCE).get("stock")));
            Trigger low = fx.triggers.create(TriggerDefinition.threshold("stock", ThresholdOp.LTE, 100).build());
            fx.producer.decr("stock", 10).join();      // 40: still true, not armed
            fx.producer.incr("stock", 100).join();     // 140: crosses back, arms
            fx.producer.decr("stock", 60).join();      // 80: crosses, fires
            fx.producer.decr("stock", 60).join();      // 20: once trigger already fired
            await().atMost(Duration.ofSeconds(10)).until(() -> fx.triggers.get(low.id()).orElseThrow().status()
                    == TriggerStatus.FIRED);
            assertThat(fx.firingsOf(low.id())).hasSize(1);
            assertThat(fx.triggers.get(low.id()).orElseThrow().fireCount()).isEqualTo(1);
        }
    }
}
