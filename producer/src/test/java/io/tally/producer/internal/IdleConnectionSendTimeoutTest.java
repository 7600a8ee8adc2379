package io.tally.producer.internal;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A send to a Redis that stopped answering (SIGSTOP) ends at send-timeout-ms, also when it is the first
 * after an acknowledged one (the connection's reader then waits on the idle socket): docs/operations.md
 * says it "ends then".
 */
class IdleConnectionSendTimeoutTest {
    private static final long SEND_TIMEOUT_MS = 1_000;

    @Test
    void aSendToAStoppedRedisEndsAtSendTimeoutMs() throws Exception {
        RedisServer.requireAvailable();
        try (RedisServer redis = RedisServer.start()) {
            TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, redis.url())
                    .set(TallyConfig.NAMESPACE, "stopped").set(TallyConfig.PARTITIONS, 1)
                    .set(TallyConfig.PRODUCER_IDEMPOTENCE, false)
                    .set(TallyConfig.SEND_TIMEOUT_MS, SEND_TIMEOUT_MS).build();
            RedissonClient admin = RedisClientFactory.create(config);
            try {
                Namespace.create(admin, config);
            } finally {
                admin.shutdown();
            }
            try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
                SendResult first = producer.incr("c", 1).get(10, TimeUnit.SECONDS);
                assertThat(first.duplicate()).isFalse();
                redis.pause();
                try {
                    long start = System.nanoTime();
                    CompletableFuture<SendResult> send = producer.incr("c", 1);
                    Throwable failure = catchThrowable(() -> send.get(10, TimeUnit.SECONDS));
                    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    assertThat(failure).isInstanceOf(ExecutionException.class)
                            .hasCauseInstanceOf(OutcomeUnknownException.class);
                    assertThat(elapsedMs).as("ms from the send to its failure (send-timeout-ms %d)", SEND_TIMEOUT_MS)
                            .isLessThan(SEND_TIMEOUT_MS + 500);
                } finally {
                    redis.resume();
                }
            }
        }
    }
}
