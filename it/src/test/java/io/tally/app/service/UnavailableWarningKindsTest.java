package io.tally.app.service;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.producer.ProducerMetrics;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A flood of one kind of 503 must not hide the WARN line of another fault an operator has to fix: reads refused
 * HGET (NOPERM) and sends refused EVALSHA are two grants to make, each named in the log within the interval; two
 * partitions whose stream ids are used up are two repairs to run.
 */
class UnavailableWarningKindsTest {
    private static final String TOKEN = "warn-kinds-token-0123456789";
    private static final int PARTITIONS = 4;
    /** The largest stream id: a stream holding it refuses every XADD *. */
    private static final String MAX_ID = "18446744073709551615-18446744073709551615";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static RedisServer redisServer;
    private static RedissonClient redis;
    private static ApiServer server;
    private static Keys keys;

    @BeforeAll
    static void start() {
        redisServer = RedisServer.start();
        TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, redisServer.url())
                .set(TallyConfig.NAMESPACE, "warnkinds").set(TallyConfig.PARTITIONS, PARTITIONS)
                .set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1")
                .set(TallyConfig.API_TOKENS, TOKEN).build();
        redis = io.tally.common.internal.redis.RedisClientFactory.create(config);
        io.tally.common.internal.redis.Namespace.create(redis, config);
        keys = TestRedis.keys(config);
        server = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP, ServiceMetrics.newRegistry());
    }

    @AfterAll
    static void stop() {
        server.close();
        redis.shutdown();
        redisServer.close();
    }

    @Test
    void aFloodOfOneRefusedCommand_doesNotHideTheWarningOfAnother() throws Exception {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(logs);
        try {
            // reads are refused a command (any client can flood those), then sends another: two faults to fix
            redisServer.cli("ACL", "SETUSER", "default", "-hget");
            await().atMost(Duration.ofSeconds(5)).until(() -> get("flood").body().contains("NOPERM"));
            assertThat(warnings(logs, "hget")).isNotEmpty();
            redisServer.cli("ACL", "SETUSER", "default", "-evalsha");
            for (int i = 0; i < 20; i++) {
                get("flood");
                assertThat(post("denied").body()).contains("NOPERM");
            }
            // well within the 10 s throttle interval of the reads' line
            assertThat(warnings(logs, "evalsha")).as("WARN lines naming the command sends are refused")
                    .isNotEmpty();
        } finally {
            root.detachAppender(logs);
            redisServer.cli("ACL", "SETUSER", "default", "+@all");
        }
    }

    @Test
    void exhaustedStreamIdsOnTwoPartitions_eachLogsItsWarning_eachThrottled() throws Exception {
        // two partitions that the other test's counters do not send to: their streams stay exhausted
        Partitioner partitioner = new Partitioner(PARTITIONS);
        Set<Integer> others = new HashSet<>(List.of(partitioner.partitionOf("flood"), partitioner.partitionOf("denied")));
        Map<Integer, String> counterOf = new TreeMap<>();
        for (int i = 0; counterOf.size() < 2; i++) {
            int p = partitioner.partitionOf("exhausted-" + i);
            if (!others.contains(p)) {
                counterOf.putIfAbsent(p, "exhausted-" + i);
            }
        }
        counterOf.keySet().forEach(p -> redisServer.cli("XADD", keys.ops(p), MAX_ID, "op", "incr", "counter", "x",
                "by", "1"));
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(logs);
        try {
            for (int i = 0; i < 5; i++) {
                for (String counter : counterOf.values()) {
                    assertThat(post(counter).body()).contains("stream_ids_exhausted");
                }
            }
        } finally {
            root.detachAppender(logs);
        }
        // well within the 10 s throttle interval: one line per partition, each naming its repair
        for (int p : counterOf.keySet()) {
            assertThat(warnings(logs, "tally repair stream-ids --partition " + p))
                    .as("WARN lines for exhausted partition %d", p).hasSize(1);
        }
    }

    private static List<String> warnings(ListAppender<ILoggingEvent> logs, String text) {
        synchronized (logs) {
            return logs.list.stream().filter(e -> e.getLevel() == Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage)
                    .filter(m -> m.contains(" answered 503: ") && m.contains(text)).toList();
        }
    }

    private static HttpResponse<String> get(String counter) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/counters/" + counter))
                .header("Authorization", "Bearer " + TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String counter) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                        + "/v1/counters/" + counter + "/incr"))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
    }
}
