package io.tally.processor.trigger;

import io.tally.common.internal.keys.Partitioner;
import io.tally.common.internal.trigger.TriggerIds;
import io.tally.common.internal.trigger.TriggerJson;
import io.tally.common.model.Event;
import io.tally.common.trigger.Firing;
import io.tally.common.trigger.ThresholdOp;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerMode;
import io.tally.common.trigger.TriggerStatus;
import io.tally.producer.SendResult;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RMap;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The processor decides which event and threshold triggers fire from their heads (definitions without params)
 * and copies the params of those that fire from their definitions: exactly, at the caps; a trigger stored
 * before heads existed fires from its definition; a trigger's head goes when it fires (once) or is canceled.
 */
@ExtendWith(RealRedisExtension.class)
class TriggerHeadsTest {
    /** Params at the byte cap: eight values of some 1,000 bytes, with characters JSON escapes. */
    private static Map<String, String> paramsAtTheCap(String tag) {
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < 8; i++) {
            params.put("p" + i, tag + i + "é\"\\/\t".repeat(60) + "z".repeat(500));
        }
        return params;
    }

    private static TriggerDefinition withParams(TriggerDefinition.Builder b, Map<String, String> params) {
        params.forEach(b::param);
        return b.build();
    }

    private static RMap<String, String> triggersHash(TriggerFixture fx, String id) {
        return fx.redis.getMap(fx.keys.triggers(TriggerIdsPartition.of(id)), StringCodec.INSTANCE);
    }

    @Test
    void triggersWithParamsAtTheirCaps_fireWithExactlyTheirParams(TestRedis testRedis) {
        try (TriggerFixture fx = new TriggerFixture(testRedis, 4, 1)) {
            Map<String, String> eventParams = paramsAtTheCap("e");
            Map<String, String> thresholdParams = paramsAtTheCap("t");
            String wanted = "v".repeat(1000);
            Trigger event = fx.triggers.create(withParams(TriggerDefinition.event("big").mode(TriggerMode.EVERY)
                    .match("k", wanted).match("k2", "w".repeat(1000)), eventParams));
            for (int i = 0; i < 20; i++) {
                fx.triggers.create(withParams(TriggerDefinition.event("big").match("k", "other" + i), paramsAtTheCap("x")));
            }
            Trigger threshold = fx.triggers.create(withParams(TriggerDefinition.threshold("clicks", ThresholdOp.GTE, 3),
                    thresholdParams));
            String head = triggersHash(fx, event.id()).get(event.id() + ":head");
            assertThat(head).isEqualTo(TriggerJson.writeHead(event.id(), event.definition())).doesNotContain("params");

            fx.producer.emit(Event.of("big", Map.of("k", wanted, "k2", "w".repeat(1000))));
            fx.producer.emit(Event.of("big", Map.of("k", "nothing")));
            fx.producer.emit(Event.of("big", Map.of("k", wanted, "k2", "w".repeat(1000), "extra", "1")));
            for (int i = 0; i < 5; i++) {
                fx.producer.incr("clicks", 1);
            }
            fx.producer.flush();

            await().atMost(Duration.ofSeconds(20)).until(() -> fx.firingsOf(event.id()).size() == 2
                    && fx.firingsOf(threshold.id()).size() == 1);
            for (Firing f : fx.firingsOf(event.id())) {
                assertThat(f.params()).isEqualTo(eventParams);
            }
            assertThat(fx.firingsOf(threshold.id()).get(0).params()).isEqualTo(thresholdParams);
            assertThat(fx.firings()).as("no other trigger fired").hasSize(3);
            assertThat(triggersHash(fx, threshold.id()).get(threshold.id() + ":head"))
                    .as("a fired once trigger keeps no head").isNull();
            assertThat(fx.triggers.get(threshold.id()).orElseThrow().status()).isEqualTo(TriggerStatus.FIRED);
        }
    }

    @Test
    void triggersStoredBeforeHeads_fireFromTheirDefinitions_andCancelAsBefore(TestRedis testRedis) {
        try (TriggerFixture fx = new TriggerFixture(testRedis, 4, 1)) {
            Partitioner partitioner = new Partitioner(fx.triggers.partitions());
            Map<String, String> params = paramsAtTheCap("old");
            TriggerDefinition once = withParams(TriggerDefinition.event("legacy").match("k", "v"), params);
            TriggerDefinition every = withParams(TriggerDefinition.event("legacy").mode(TriggerMode.EVERY), params);
            String onceId = storeWithoutHead(fx, partitioner, once);
            String everyId = storeWithoutHead(fx, partitioner, every);

            fx.producer.emit(Event.of("legacy", Map.of("k", "v")));
            fx.producer.emit(Event.of("legacy", Map.of("k", "v")));
            fx.producer.flush();

            await().atMost(Duration.ofSeconds(20)).until(() -> fx.firingsOf(everyId).size() == 2);
            assertThat(fx.firingsOf(onceId)).singleElement().satisfies(f -> assertThat(f.params()).isEqualTo(params));
            assertThat(fx.firingsOf(everyId)).allSatisfy(f -> assertThat(f.params()).isEqualTo(params));
            assertThat(fx.triggers.get(onceId).orElseThrow().status()).isEqualTo(TriggerStatus.FIRED);

            assertThat(fx.triggers.cancel(everyId).orElseThrow().status()).isEqualTo(TriggerStatus.CANCELED);
            SendResult last = fx.producer.emit(Event.of("legacy", Map.of("k", "v"))).join();
            await().atMost(Duration.ofSeconds(20)).until(() -> last.entryId().equals(fx.redis.<String, String>getMap(
                    fx.keys.checkpoint(last.partition()), StringCodec.INSTANCE).get("events")));
            assertThat(fx.firingsOf(everyId)).as("canceled: no more firings").hasSize(2);

            Trigger fresh = fx.triggers.create(every);
            assertThat(triggersHash(fx, fresh.id()).get(fresh.id() + ":head")).isNotNull();
            fx.triggers.cancel(fresh.id());
            assertThat(triggersHash(fx, fresh.id()).get(fresh.id() + ":head")).as("a canceled trigger keeps no head")
                    .isNull();
        }
    }

    /** Stores a trigger as a version without heads did: definition, state fields, count and index entry. */
    private static String storeWithoutHead(TriggerFixture fx, Partitioner partitioner, TriggerDefinition def) {
        String id = TriggerIds.newId(def, partitioner, System.currentTimeMillis());
        RMap<String, String> hash = triggersHash(fx, id);
        hash.putAll(Map.of(id, TriggerJson.writeDefinition(id, def), id + ":status", "active", id + ":fireCount", "0",
                id + ":createdAt", Long.toString(System.currentTimeMillis())));
        hash.addAndGet(":count", 1);
        RMap<String, String> index = fx.redis.getMap(fx.keys.triggersByEvent(TriggerIdsPartition.of(id)),
                StringCodec.INSTANCE);
        String listed = index.get(def.eventType());
        index.put(def.eventType(), listed == null ? id : listed + " " + id);
        return id;
    }
}
