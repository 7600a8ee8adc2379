package io.tally.app.service;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.producer.ProducerMetrics;
import io.tally.testkit.TestRedis;
import io.tally.testkit.PersistenceFailure;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the API answers when Redis cannot serve or a script fails, on a redis-server of the test's
 * own (reconfigured, paused and killed here): 503 with Retry-After for out of memory and for a Redis
 * that is down or does not answer, on reads as on sends; a 500 for a script error whose body says nothing of the script; 400
 * for a truncated body. The log carries the detail under the request id the body names.
 */
class RedisFaultsTest {
    private static final String TOKEN = "faults-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static RedisServer redisServer;
    private static RedissonClient redis;
    private static ApiServer server;
    private static Keys keys;
    private static Partitioner partitioner;
    private static TallyConfig config;

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeAll
    static void start() {
        redisServer = RedisServer.start("--enable-protected-configs", "yes"); // a failed save needs CONFIG SET dir
        config = TallyConfig.builder().set(TallyConfig.REDIS_URL, redisServer.url())
                .set(TallyConfig.NAMESPACE, "faults").set(TallyConfig.PARTITIONS, 4)
                .set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1")
                .set(TallyConfig.API_TOKENS, TOKEN).set(TallyConfig.REDIS_TIMEOUT_MS, 1000)
                .set(TallyConfig.SEND_TIMEOUT_MS, 3000L).build();
        redis = io.tally.common.internal.redis.RedisClientFactory.create(config);
        io.tally.common.internal.redis.Namespace.create(redis, config); // as `tally init` would
        server = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP, ServiceMetrics.newRegistry());
        keys = TestRedis.keys(config);
        partitioner = new Partitioner(4);
    }

    @AfterAll
    static void stop() {
        server.close();
        redis.shutdown();
        redisServer.close();
    }

    @BeforeEach
    void captureLogs() {
        server.forgetLoggedWarnings(); // each test asserts the WARN line of its first 503 of a kind
        logs.start();
        root().addAppender(logs);
    }

    @AfterEach
    void releaseLogs() {
        root().detachAppender(logs);
        if (!redisServer.isRunning()) {
            redisServer.restart();
        }
        // first, or the namespace's creation below is refused for out of memory (and so is every later test's send)
        redisServer.cli("CONFIG", "SET", "maxmemory", "0");
        createNamespace();
    }

    /**
     * A restarted server keeps nothing on disk: the namespace goes with it, and no processor runs here
     * to restore it, so the test does what `tally init` would.
     */
    private static void createNamespace() {
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> io.tally.common.internal.redis.Namespace.create(redis, config) != null);
    }

    @Test
    void redisOutOfMemory_is503WithRetryAfter_onSendsAndTriggers_readsStillAnswer() throws Exception {
        redis.getMap(keys.counters(partitioner.partitionOf("full")), StringCodec.INSTANCE).put("full", "3");
        awaitSendsServed();
        redisServer.cli("CONFIG", "SET", "maxmemory", "1");

        HttpResponse<String> send = post("/v1/counters/full/incr", "{\"by\":1}");
        JsonNode problem = assertCleanProblem(send, 503);
        assertThat(send.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(problem.get("detail").asText()).contains("out of memory");
        assertLogged(problem.get("requestId").asText(), Level.WARN, "OOM");

        HttpResponse<String> trigger = post("/v1/triggers", "{\"kind\":\"time\",\"at\":1893456000000}");
        assertCleanProblem(trigger, 503);
        assertThat(trigger.headers().firstValue("Retry-After")).hasValue("1");

        HttpResponse<String> batch = post("/v1/batch", "{\"op\":\"incr\",\"counter\":\"full\"}\n");
        assertThat(batch.statusCode()).isEqualTo(200);
        assertThat(batch.body()).contains("\"failed\":1").contains("\"status\":503").doesNotContain("OOM command");

        assertThat(get("/v1/counters/full").body()).contains("\"value\":3");
        // reads answer, but Redis refused the latest send: not ready, naming why
        HttpResponse<String> ready = notReady();
        assertThat(ready.body()).contains("out_of_memory");
    }

    @Test
    void pausedForWrites_sendsAre504WithinSendTimeout_scriptedReads503_andTheServiceIsNotReady() throws Exception {
        redis.getMap(keys.counters(partitioner.partitionOf("held")), StringCodec.INSTANCE).put("held", "4");
        awaitSendsServed();
        redisServer.cli("CLIENT", "PAUSE", "60000", "WRITE");
        try {
            long t0 = System.nanoTime();
            HttpResponse<String> send = post("/v1/counters/held/incr", "{\"id\":\"op-held-1\"}");
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(3000 + 2000);
            JsonNode problem = assertCleanProblem(send, 504);
            assertThat(problem.get("detail").asText()).contains("same id");
            // not ready: the latest send timed out (or the probe itself met a connection a held script blocks).
            // Probed first: readiness looks back 5 s (SendRefusals), and the held read below takes seconds
            HttpResponse<String> ready = notReady();
            assertThat(ready.body()).containsAnyOf("timeout", "does not answer");
            // a counter read runs a script, which a write pause holds too (it is not flagged no-writes)
            HttpResponse<String> read = get("/v1/counters/held");
            assertCleanProblem(read, 503);
            assertThat(read.headers().firstValue("Retry-After")).hasValue("1");
        } finally {
            redisServer.cli("CLIENT", "UNPAUSE");
        }
        awaitSendsServed();
        assertThat(ready().statusCode()).isEqualTo(200);
    }

    @Test
    void redisDown_is503WithRetryAfter_onReadsAndSends_thenServesAgain() throws Exception {
        redis.getMap(keys.counters(partitioner.partitionOf("down")), StringCodec.INSTANCE).put("down", "5");
        redisServer.kill();

        HttpResponse<String> read = get("/v1/counters/down");
        JsonNode problem = assertCleanProblem(read, 503);
        assertThat(read.headers().firstValue("Retry-After")).hasValue("1");
        assertLogged(problem.get("requestId").asText(), Level.WARN, "Redis");

        HttpResponse<String> waitRead = get("/v1/counters/down?after=1-0&waitMs=100");
        assertCleanProblem(waitRead, 503);
        assertThat(waitRead.headers().firstValue("Retry-After")).hasValue("1");

        // The first send may have left on the connection Redis dropped: for all the producer can tell it may have
        // been written (504, never 503). Once the producer knows there is no connection, nothing leaves: 503.
        HttpResponse<String> first = post("/v1/counters/down/incr", "{\"id\":\"op-down-1\"}");
        assertThat(first.statusCode()).as(first.body()).isIn(503, 504);
        HttpResponse<String> send = post("/v1/counters/down/incr", "{\"id\":\"op-down-2\"}");
        assertCleanProblem(send, 503);
        assertThat(send.headers().firstValue("Retry-After")).hasValue("1");

        assertCleanProblem(get("/v1/triggers"), 503);
        assertCleanProblem(get("/v1/firings"), 503);
        assertCleanProblem(HTTP.send(HttpRequest.newBuilder(uri("/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString()), 503);

        redisServer.restart();
        createNamespace();
        awaitSendsServed();
    }

    @Test
    void redisNotAnswering_readsAre503WithRetryAfter() throws Exception {
        redis.getMap(keys.counters(partitioner.partitionOf("frozen")), StringCodec.INSTANCE).put("frozen", "2");
        redisServer.pause();
        try {
            HttpResponse<String> read = get("/v1/counters/frozen");
            JsonNode problem = assertCleanProblem(read, 503);
            assertThat(read.headers().firstValue("Retry-After")).hasValue("1");
            assertLogged(problem.get("requestId").asText(), Level.WARN, "Redis");
            assertCleanProblem(get("/v1/counters/frozen?after=1-0&waitMs=100"), 503);
        } finally {
            redisServer.resume();
        }
        assertThat(get("/v1/counters/frozen").body()).contains("\"value\":2");
    }

    @Test
    void aReadOnlyReplica_sendsAre503FailingOver_andTheServiceIsNotReady_untilRedisTakesWritesAgain() throws Exception {
        awaitSendsServed();
        // a master demoted in a failover, still at the service's address: a replica with its new master's data
        try (RedisServer master = RedisServer.start()) {
            RedissonClient masterClient = io.tally.common.internal.redis.RedisClientFactory.create(
                    config.toBuilder().set(TallyConfig.REDIS_URL, master.url()).build());
            try {
                io.tally.common.internal.redis.Namespace.create(masterClient, config);
            } finally {
                masterClient.shutdown();
            }
            redisServer.cli("REPLICAOF", "127.0.0.1", Integer.toString(master.port()));
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> redisServer.cli("INFO", "replication")
                        .contains("master_link_status:up"));
                HttpResponse<String> send = post("/v1/counters/replica/incr", "{\"id\":\"op-replica-1\"}");
                JsonNode problem = assertCleanProblem(send, 503);
                assertThat(send.headers().firstValue("Retry-After")).hasValue("1");
                assertThat(problem.get("detail").asText()).contains("failing over");
                assertLogged(problem.get("requestId").asText(), Level.WARN, "READONLY");
                // reads still answer, yet every send is refused: not ready, naming why
                assertThat(get("/v1/counters/replica").statusCode()).as("answered: no such counter").isEqualTo(404);
                HttpResponse<String> ready = notReady();
                assertThat(ready.body()).contains("read_only");
            } finally {
                redisServer.cli("REPLICAOF", "NO", "ONE");
            }
            awaitSendsServed();
            assertThat(ready().statusCode()).isEqualTo(200);
        }
    }

    @Test
    void fewerReplicasThanMinReplicasToWrite_sendsAre503NamingIt_andTheServiceIsNotReady_untilRedisTakesWritesAgain()
            throws Exception {
        awaitSendsServed();
        redisServer.cli("CONFIG", "SET", "min-replicas-to-write", "1");
        try {
            assertRefusedWrites("/v1/counters/noreplicas/incr", "fewer replicas than its min-replicas-to-write are in sync",
                    "no_replicas");
        } finally {
            redisServer.cli("CONFIG", "SET", "min-replicas-to-write", "0");
        }
        awaitSendsServed();
        assertThat(ready().statusCode()).isEqualTo(200);
    }

    @Test
    void aFailedSaveToDisk_sendsAre503NamingIt_andTheServiceIsNotReady_untilRedisTakesWritesAgain() throws Exception {
        awaitSendsServed();
        PersistenceFailure.induce(redisServer);
        try {
            assertRefusedWrites("/v1/counters/misconf/incr", "its last save to disk failed", "save_failed");
        } finally {
            PersistenceFailure.lift(redisServer);
        }
        awaitSendsServed();
        assertThat(ready().statusCode()).isEqualTo(200);
    }

    /** A send (with an id and without) is 503 with Retry-After naming why, nothing written; readiness names the reason. */
    private static void assertRefusedWrites(String path, String detail, String reason) throws Exception {
        for (String body : new String[]{"{}", "{\"id\":\"op-" + reason + "\"}"}) {
            HttpResponse<String> send = post(path, body);
            JsonNode problem = assertCleanProblem(send, 503);
            assertThat(send.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(problem.get("detail").asText()).contains(detail);
        }
        HttpResponse<String> ready = notReady();
        assertThat(ready.body()).contains(reason);
    }

    @Test
    void anEvictingPolicySetAtRuntime_sendsAre503NamingIt_andTheServiceIsNotReady_untilNoevictionAgain() throws Exception {
        awaitSendsServed();
        redisServer.cli("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> post("/v1/counters/evicting/incr", "{}").statusCode() == 503);
            JsonNode problem = assertCleanProblem(post("/v1/counters/evicting/incr", "{}"), 503);
            assertThat(problem.get("detail").asText()).contains("maxmemory-policy allkeys-lru", "nothing was written");
            assertThat(problem.toString()).doesNotContain("Exception");
            HttpResponse<String> ready = notReady();
            assertThat(ready.body()).contains("eviction_policy");
        } finally {
            redisServer.cli("CONFIG", "SET", "maxmemory-policy", "noeviction");
        }
        awaitSendsServed();
        assertThat(ready().statusCode()).isEqualTo(200);
    }

    @Test
    void aUserDeniedACommand_sendsAre503NamingIt_withoutRetryAfter_oneWarnLine_andTheServiceIsNotReady() throws Exception {
        awaitSendsServed();
        redisServer.cli("ACL", "SETUSER", "default", "-evalsha");
        try {
            HttpResponse<String> send = post("/v1/counters/denied/incr", "{}");
            JsonNode problem = assertCleanProblem(send, 503);
            assertThat(problem.get("reason").asText()).isEqualTo("no_permission");
            assertThat(problem.get("detail").asText()).contains("NOPERM").contains("grant");
            assertThat(send.headers().firstValue("Retry-After")).isEmpty();
            assertLogged(problem.get("requestId").asText(), Level.WARN, "NOPERM");
            // a flood of one kind of 503 is one WARN line in 10 s (the first one's, above), not one per request
            long warned = warnLines503();
            for (int i = 0; i < 20; i++) {
                assertCleanProblem(post("/v1/counters/denied/incr", "{}"), 503);
            }
            assertThat(warnLines503() - warned).as("WARN lines for 20 more 503s").isLessThanOrEqualTo(1);
            assertThat(events(problem.get("requestId").asText())).noneMatch(e -> e.getLevel() == Level.ERROR);
            HttpResponse<String> ready = notReady();
            assertThat(ready.body()).contains("no_permission");
        } finally {
            redisServer.cli("ACL", "SETUSER", "default", "+@all");
        }
        awaitSendsServed();
        assertThat(ready().statusCode()).isEqualTo(200);
    }

    @Test
    void busyWithAScript_sendsAre503Busy_withinSendTimeout_andTheServiceIsNotReady() throws Exception {
        awaitSendsServed();
        redisServer.cli("CONFIG", "SET", "busy-reply-threshold", "100");
        Thread script = new Thread(() -> redisServer.cli("EVAL", "local t = redis.call('TIME') while true do "
                + "local n = redis.call('TIME') if n[1] - t[1] > 5 then break end end return 1", "0"));
        script.start();
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> redisServer.cli("PING").startsWith("BUSY"));
            long t0 = System.nanoTime();
            HttpResponse<String> send = post("/v1/counters/busy/incr", "{\"id\":\"op-busy-1\"}");
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(3000 + 2000);
            JsonNode problem = assertCleanProblem(send, 503);
            assertThat(send.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(problem.get("detail").asText()).contains("busy running a script");
            notReady();
        } finally {
            script.join();
            redisServer.cli("CONFIG", "SET", "busy-reply-threshold", "5000");
        }
        awaitSendsServed();
        assertThat(ready().statusCode()).isEqualTo(200);
    }

    @Test
    void aScriptError_is500_whoseBodyNamesNoScriptShaLineOrClass_andTheLogHasTheDetail() throws Exception {
        // A key of the wrong type makes the send script fail inside Redis ("... script: <sha>, on @user_script:N").
        awaitSendsServed();
        redisServer.cli("SET", keys.ops(partitioner.partitionOf("broken")), "not-a-stream");
        HttpResponse<String> r = post("/v1/counters/broken/incr", "{}");
        JsonNode problem = assertCleanProblem(r, 500);
        assertThat(problem.get("detail").asText()).contains("request id");
        assertLogged(problem.get("requestId").asText(), Level.ERROR, "WRONGTYPE");
        redisServer.cli("DEL", keys.ops(partitioner.partitionOf("broken")));
    }

    @Test
    void aTruncatedChunkedBody_is400_loggedAsOneWarnLineWithoutStackTrace() throws Exception {
        String reply;
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/counters/cut/incr HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                    + "\r\nX-Request-Id: cut-1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "20\r\n{\"by\":1").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            s.shutdownOutput();
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            s.getInputStream().transferTo(in);
            reply = in.toString(StandardCharsets.UTF_8);
        }
        assertThat(reply).startsWith("HTTP/1.1 400").contains("application/problem+json").contains("\"requestId\":\"cut-1\"")
                .doesNotContain("Exception");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(events("cut-1")).hasSize(1));
        ILoggingEvent line = events("cut-1").get(0);
        assertThat(line.getLevel()).isEqualTo(Level.WARN);
        assertThat(line.getThrowableProxy()).as("no stack trace").isNull();
        assertThat(line.getMDCPropertyMap()).containsEntry("requestId", "cut-1");
        // Tally's own lines only: Redisson may still log a PING timeout of a connection an earlier test's fault broke
        assertThat(logs.list).noneMatch(e -> e.getLevel() == Level.ERROR && e.getLoggerName().startsWith("io.tally"));
    }

    /** Sends are answered 202 again (after a test that stopped Redis, the connections are back). */
    private static void awaitSendsServed() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            HttpResponse<String> r = post("/v1/counters/warm/incr", "{}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        });
    }

    /** A problem+json body that carries a request id and none of a script's SHA or line, a Java class or a trace. */
    static JsonNode assertCleanProblem(HttpResponse<String> r, int status) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith(Problems.CONTENT_TYPE));
        assertThat(r.body()).doesNotContainPattern("[0-9a-f]{40}").doesNotContain("user_script").doesNotContain("script:")
                .doesNotContain("Exception").doesNotContain("at io.").doesNotContain("org.redisson");
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.get("requestId").asText()).isNotBlank()
                .isEqualTo(r.headers().firstValue("X-Request-Id").orElseThrow());
        return body;
    }

    private void assertLogged(String requestId, Level level, String detail) {
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(events(requestId))
                .anySatisfy(e -> {
                    assertThat(e.getLevel()).isEqualTo(level);
                    assertThat(e.getFormattedMessage()).contains(detail);
                    assertThat(e.getMDCPropertyMap()).containsEntry("requestId", requestId);
                }));
    }

    private long warnLines503() {
        synchronized (logs) {
            return logs.list.stream().filter(e -> e.getLevel() == Level.WARN
                    && e.getFormattedMessage().contains(" answered 503: ")).count();
        }
    }

    private List<ILoggingEvent> events(String requestId) {
        synchronized (logs) {
            return logs.list.stream().filter(e -> e.getFormattedMessage().contains(requestId)).toList();
        }
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    private static HttpResponse<String> post(String path, String json) throws Exception {
        return HTTP.send(authed(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * {@code /health/ready} once it answers 503, checked clean: readiness turns 503 a second after the last send
     * answered (SendRefusals), so that a Redis refusing only some sends keeps the service ready.
     */
    private static HttpResponse<String> notReady() throws Exception {
        AtomicReference<HttpResponse<String>> last = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(100)).until(() -> {
            last.set(ready());
            return last.get().statusCode() == 503;
        });
        assertCleanProblem(last.get(), 503);
        return last.get();
    }

    private static HttpResponse<String> ready() throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri("/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(authed(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder authed(String path) {
        return HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + TOKEN)
                .timeout(Duration.ofSeconds(60));
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
