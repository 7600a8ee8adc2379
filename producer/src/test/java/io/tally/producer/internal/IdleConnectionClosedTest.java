package io.tally.producer.internal;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.testkit.Pause;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.params.ParameterizedTest;
import org.redisson.api.RedissonClient;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Redis closes connections idle for its {@code timeout} (as many deployments set, and managed Redis
 * services do): the first send after an idle spell goes on a new connection and is acknowledged, with
 * or without producer sessions; it is never written into the closed one and told "outcome unknown".
 */
class IdleConnectionClosedTest {
    @ParameterizedTest(name = "sessions {0}")
    @ValueSource(booleans = {false, true})
    void theFirstSendAfterRedisClosedAnIdleConnectionIsAcknowledged(boolean sessions) throws Exception {
        RedisServer.requireAvailable();
        try (RedisServer redis = RedisServer.start("--timeout", "1")) {
            TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, redis.url())
                    .set(TallyConfig.NAMESPACE, "idle").set(TallyConfig.PARTITIONS, 1)
                    .set(TallyConfig.PRODUCER_IDEMPOTENCE, sessions).build();
            RedissonClient admin = RedisClientFactory.create(config);
            String stream;
            try {
                Namespace.create(admin, config);
                stream = Namespace.keys(admin, "idle").ops(0);
            } finally {
                admin.shutdown();
            }
            try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
                for (int round = 0; round < 2; round++) {
                    SendResult result = producer.incr("c", 1).get(10, TimeUnit.SECONDS);
                    assertThat(result.duplicate()).isFalse();
                    Pause.ms(2_500); // Redis closes connections idle for 1 s, checking about every 100 ms
                }
                assertThat(producer.incr("c", 1).get(10, TimeUnit.SECONDS).duplicate()).isFalse();
            }
            assertThat(redis.cli("XLEN", stream)).isEqualTo("3");
        }
    }
}
