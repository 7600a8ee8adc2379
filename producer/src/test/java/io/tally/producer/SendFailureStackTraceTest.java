package io.tally.producer;

import io.tally.common.config.TallyConfig;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The exceptions a send's future completes with carry no stack trace (a Redis outage fails up to producer-buffer
 * sends at once, and the producer thread's stack says nothing of the caller), but keep their message and cause;
 * {@code join()} wraps them in an exception with the caller's stack.
 */
class SendFailureStackTraceTest {

    @Test
    void sendsRefusedByAFullBufferAndFailedByAStoppedRedis_completeWithoutAStackTrace() throws Exception {
        try (TestRedis redis = TestRedis.ownServer()) {
            TallyConfig config = redis.config(1).set(TallyConfig.PRODUCER_BUFFER, 10)
                    .set(TallyConfig.SEND_TIMEOUT_MS, 1_000L).build();
            RedisServer server = redis.server().orElseThrow();
            try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
                server.pause();
                List<CompletableFuture<SendResult>> sends = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    sends.add(producer.incr("c", 1));
                }
                server.kill();
                List<Throwable> failures = new ArrayList<>();
                for (CompletableFuture<SendResult> send : sends) {
                    Throwable thrown = catchThrowable(send::join);
                    assertThat(thrown).isInstanceOf(CompletionException.class);
                    assertThat(thrown.getStackTrace()).isNotEmpty(); // the caller's, from join()
                    failures.add(thrown.getCause());
                }
                assertThat(failures).hasSize(20)
                        .hasAtLeastOneElementOfType(BackpressureException.class)
                        .allSatisfy(failure -> {
                            assertThat(failure).isInstanceOfAny(BackpressureException.class,
                                    SendFailedException.class, OutcomeUnknownException.class);
                            assertThat(failure.getStackTrace()).isEmpty();
                        });
                assertThat(failures).filteredOn(f -> f instanceof BackpressureException)
                        .allSatisfy(failure -> assertThat(failure).hasMessageContaining("producer buffer is full"));
                assertThat(failures).filteredOn(f -> !(f instanceof BackpressureException)).isNotEmpty()
                        .allSatisfy(failure -> assertThat(failure).hasMessageContaining("partition 0").cause().isNotNull());
            }
        }
    }
}
