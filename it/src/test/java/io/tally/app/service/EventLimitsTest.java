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
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An event past the wire format's parameter limit (100) is refused at the door with a 400 naming the
 * limit, alone and as a line of a batch; nothing of it is written, and every other line of the batch is.
 */
@ExtendWith(RealRedisExtension.class)
class EventLimitsTest {
    private static final String TOKEN = "limits-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

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

    private static String params(int n) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        return sb.append('}').toString();
    }

    @Test
    void anEventWith4100Params_is400NamingTheLimit_andNothingIsWritten() throws Exception {
        HttpResponse<String> r = post("/v1/events", "{\"type\":\"wide\",\"params\":" + params(4100) + "}", "application/json");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("\"reason\":\"too_many_params\"").contains("more than 100 parameters");
        assertThat(events("wide")).isZero();

        assertThat(post("/v1/events", "{\"type\":\"wide\",\"params\":" + params(100) + "}", "application/json").statusCode())
                .isEqualTo(202);
        assertThat(events("wide")).isEqualTo(1);
    }

    @Test
    void inABatch_theOverlongEventFailsAlone_andEveryOtherLineIsWrittenAndReported() throws Exception {
        String ndjson = "{\"type\":\"batch-wide\",\"params\":" + params(4100) + "}\n"
                + "{\"type\":\"batch-wide\",\"params\":{\"a\":\"b\"}}\n"
                + "{\"op\":\"incr\",\"counter\":\"after-wide\"}\n";
        HttpResponse<String> r = post("/v1/batch", ndjson, "application/x-ndjson");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"lines\":3").contains("\"accepted\":2").contains("\"failed\":1")
                .contains("{\"line\":1,\"status\":400");
        assertThat(events("batch-wide")).isEqualTo(1);
        Map<StreamMessageId, Map<String, String>> ops = redis.<String, String>getStream(
                keys.ops(partitioner.partitionOf("after-wide")), StringCodec.INSTANCE)
                .range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX));
        assertThat(ops.values()).contains(Map.of("op", "incr", "counter", "after-wide", "by", "1"));
    }

    private static long events(String type) {
        return redis.<String, String>getStream(keys.events(partitioner.partitionOf(type)), StringCodec.INSTANCE)
                .range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX)).values().stream()
                .filter(f -> type.equals(f.get("type"))).count();
    }

    private static HttpResponse<String> post(String path, String body, String type) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
