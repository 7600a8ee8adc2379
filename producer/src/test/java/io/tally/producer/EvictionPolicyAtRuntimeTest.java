package io.tally.producer;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tally.common.config.TallyConfig;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * A Redis whose {@code maxmemory-policy} is set to one that may evict keys while the producer runs: within a few
 * seconds sends fail, retriable, naming the policy, and write nothing; back to {@code noeviction}, they are
 * written again. A policy that cannot be read (a user without INFO) is said once, not every read.
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

    @Test
    void aPolicyReadRefused_isOneWarnNamingTheMasterAndRedisText_overSeveralReads_thenOneInfoWhenReadableAgain() {
        try (TestRedis redis = TestRedis.ownServer()) {
            RedisServer server = redis.server().orElseThrow();
            assertThat(server.cli("ACL", "SETUSER", "writer", "on", ">writer-pw", "~*", "&*", "+@all")).isEqualTo("OK");
            TallyConfig config = redis.config(1).env(Map.of("TALLY_REDIS_PASSWORD", "writer-pw"))
                    .set(TallyConfig.REDIS_URL, "redis://writer@127.0.0.1:" + server.port()).build();
            ListAppender<ILoggingEvent> logs = new ListAppender<>();
            logs.start();
            Logger watch = (Logger) LoggerFactory.getLogger("io.tally.producer.internal.NamespaceWatch");
            watch.addAppender(logs);
            try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
                producer.incr("c", 1).join();
                server.cli("ACL", "SETUSER", "writer", "-info");

                // several watch periods (2 s each): the watch's INFO refused three times
                await().atMost(Duration.ofSeconds(15))
                        .until(() -> refusedInfoCalls(server) >= 3);
                List<ILoggingEvent> warns = atLevel(logs, Level.WARN);
                assertThat(warns).hasSize(1);
                assertThat(warns.get(0).getFormattedMessage())
                        .contains("maxmemory-policy", "127.0.0.1:" + server.port(), "NOPERM", "'info'",
                                "sends go on under the policy last read (", "+info")
                        .doesNotContain("writer-pw");
                assertThat(producer.incr("c", 1).join().entryId()).isNotEmpty();

                server.cli("ACL", "SETUSER", "writer", "+info");
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> !atLevel(logs, Level.INFO).isEmpty());
                assertThat(atLevel(logs, Level.INFO)).singleElement().extracting(ILoggingEvent::getFormattedMessage)
                        .asString().contains("maxmemory-policy is readable again", "noeviction");
                assertThat(atLevel(logs, Level.WARN)).hasSize(1);
            } finally {
                watch.detachAppender(logs);
            }
        }
    }

    private static List<ILoggingEvent> atLevel(ListAppender<ILoggingEvent> logs, Level level) {
        synchronized (logs.list) {
            return logs.list.stream().filter(e -> e.getLevel() == level).toList();
        }
    }

    /** How many INFO calls Redis refused (ACL), from {@code INFO commandstats} as the admin user sees it. */
    private static long refusedInfoCalls(RedisServer server) {
        for (String line : server.cli("INFO", "commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_info:")) {
                for (String field : line.substring(line.indexOf(':') + 1).split(",")) {
                    if (field.startsWith("rejected_calls=")) {
                        return Long.parseLong(field.substring("rejected_calls=".length()).strip());
                    }
                }
            }
        }
        return 0;
    }

    private static long xlen(String url, String stream) {
        try (RawRedis raw = new RawRedis(url)) {
            raw.send("XLEN", stream);
            raw.flush();
            return (Long) raw.read();
        }
    }
}
