package io.tally.producer.triggers;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.trigger.InvalidTriggerException;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerStatus;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.api.options.KeysScanOptions;

import java.time.InstantSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(RealRedisExtension.class)
class TriggerClientTest {

    @Test
    void rejectedDefinition_writesNothing_andValidOnesRoundTrip(TestRedis testRedis) {
        TallyConfig config = testRedis.config(4).build();
        RedissonClient redis = testRedis.client();
        Keys keys = TestRedis.keys(config);
        try (TriggerClient client = RedisTriggerClient.create(redis, config, InstantSource.system())) {
            assertThatThrownBy(() -> client.create(TriggerDefinition.time(1_000).param("x", "y").build()))
                    .isInstanceOf(InvalidTriggerException.class).hasMessageContaining("'at'");
            assertThat(redis.getKeys().getKeys(KeysScanOptions.defaults().pattern(
                    config.namespace() + ":*:trigger*")).iterator().hasNext()).isFalse();
            assertThat(redis.getKeys().getKeys(KeysScanOptions.defaults().pattern(
                    config.namespace() + ":*schedule")).iterator().hasNext()).isFalse();

            Trigger t = client.create(TriggerDefinition.event("signup").match("plan", "pro").param("team", "sales").build());
            Trigger read = client.get(t.id()).orElseThrow();
            assertThat(read.definition()).isEqualTo(t.definition());
            assertThat(read.status()).isEqualTo(TriggerStatus.ACTIVE);
            assertThat(read.createdAt()).isPositive();
            assertThat(client.cancel(t.id()).orElseThrow().status()).isEqualTo(TriggerStatus.CANCELED);
            assertThat(redis.getMap(keys.triggersByEvent(TriggerIdsView.partition(t.id(), 4))).isExists()).isFalse();
            assertThat(client.cancel("t1-01ARZ3NDEKTSV4RRFFQ69G5FAV")).isEmpty();
            assertThat(client.get("t1-01ARZ3NDEKTSV4RRFFQ69G5FAV")).isEmpty();
            assertThatThrownBy(() -> client.get("t7-01ARZ3NDEKTSV4RRFFQ69G5FAV")).hasMessageContaining("4 partitions");
            assertThat(client.list(TriggerStatus.CANCELED, null)).extracting(Trigger::id).containsExactly(t.id());
            assertThat(client.list(TriggerStatus.ACTIVE, null)).isEmpty();
        } finally {
            redis.shutdown();
        }
    }

    /** Reads the partition from an id. */
    static final class TriggerIdsView {
        static int partition(String id, int partitions) {
            return io.tally.common.internal.trigger.TriggerIds.partitionOf(id, partitions);
        }
    }
}
