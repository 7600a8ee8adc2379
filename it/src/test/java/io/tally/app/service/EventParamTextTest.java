package io.tally.app.service;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.producer.ProducerMetrics;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamRangeArgs;
import org.redisson.client.codec.StringCodec;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Event parameters are kept as the text the client sent, numbers included: {@code 1e400} is not turned into
 * {@code Infinity}, {@code 1e2} into {@code 100.0}, nor {@code 1.10} into {@code 1.1}; alone and in a batch.
 */
@ExtendWith(RealRedisExtension.class)
class EventParamTextTest {
    private static final String TOKEN = "param-text-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String NUMBERS = "{\"big\":1e400,\"sci\":1e2,\"dec\":1.10,\"neg\":-2.5E-3,\"int\":42}";

    private static RedissonClient redis;
    private static ApiServer server;
    private static Keys keys;
    private static Partitioner partitioner;

    @BeforeAll
    static void start(TestRedis testRedis) {
        redis = testRedis.client();
        TallyConfig config = testRedis.config(4).set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1")
                .set(TallyConfig.API_TOKENS, TOKEN).build();
        server = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP, ServiceMetrics.newRegistry());
        keys = TestRedis.keys(config);
        partitioner = new Partitioner(4);
    }

    @AfterAll
    static void stop() {
        server.close();
        redis.shutdown();
    }

    @Test
    void eventNumberParams_areKeptAsSent() throws Exception {
        HttpResponse<String> r = post("/v1/events", "{\"type\":\"num-text\",\"params\":" + NUMBERS + "}",
                "application/json");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertKeptAsSent(entry("num-text"));
    }

    @Test
    void eventNumberParams_inABatchLine_areKeptAsSent() throws Exception {
        HttpResponse<String> r = post("/v1/batch", "{\"type\":\"num-text-batch\",\"params\":"
                + NUMBERS + "}\n", "application/x-ndjson");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertKeptAsSent(entry("num-text-batch"));
    }

    private static void assertKeptAsSent(Map<String, String> entry) {
        assertThat(List.of(entry.get("p.big"), entry.get("p.sci"), entry.get("p.dec"), entry.get("p.neg"),
                entry.get("p.int"))).containsExactly("1e400", "1e2", "1.10", "-2.5E-3", "42");
    }

    /** The first entry of the event type's stream with that type. */
    private static Map<String, String> entry(String type) {
        return redis.<String, String>getStream(keys.events(partitioner.partitionOf(type)), StringCodec.INSTANCE)
                .range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX)).values().stream()
                .filter(fields -> type.equals(fields.get("type"))).findFirst().orElseThrow();
    }

    private static HttpResponse<String> post(String path, String body, String type) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
