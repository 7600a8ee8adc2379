package io.tally.producer;

import io.tally.common.config.TallyConfig;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * A Redis whose {@code maxmemory-policy} is set to one that may evict keys while the producer runs: within a few
 * seconds sends fail, retriable, naming the policy, and write nothing; back to {@code noeviction}, they are
 * written again.
 */
class EvictionPolicyAtRuntimeTest {

    @Test
    void anEvictingPolicySetAtRuntime_failsSendsNamingIt_writingNothing_untilNoevictionAgain() {
        try (TestRedis redis = TestRedis.ownServer()) {
            TallyConfig config = redis.config(1).build();
            RedisServer server = redis.server().orElseThrow();
            String stream = TestRedis.keys(config).ops(0);
            try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
                producer.incr("c", 1).join();
                server.cli("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");

                await().atMost(Duration.ofSeconds(10)).until(() -> producer.incr("c", 1).handle((r, e) -> e != null).join());
                long written = xlen(redis.url(), stream);
                CompletableFuture<SendResult> refused = producer.incr("c", 1);
                Throwable thrown = catchThrowable(refused::join);
                assertThat(thrown).isInstanceOf(CompletionException.class);
                assertThat(thrown.getCause()).isInstanceOf(SendFailedException.class)
                        .hasMessageContaining("maxmemory-policy allkeys-lru").hasMessageContaining("nothing was written");
                assertThat(((SendFailedException) thrown.getCause()).retriable()).isTrue();
                assertThat(((SendFailedException) thrown.getCause()).maybeWritten()).isFalse();
                assertThat(xlen(redis.url(), stream)).isEqualTo(written);

                server.cli("CONFIG", "SET", "maxmemory-policy", "noeviction");
                await().atMost(Duration.ofSeconds(10)).until(() -> producer.incr("c", 1).handle((r, e) -> e == null).join());
                assertThat(xlen(redis.url(), stream)).isEqualTo(written + 1);
            }
        }
    }

    private static long xlen(String url, String stream) {
        try (RawRedis raw = new RawRedis(url)) {
            raw.send("XLEN", stream);
            raw.flush();
            return (Long) raw.read();
        }
    }
}
