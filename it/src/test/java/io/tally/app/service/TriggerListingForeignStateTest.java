package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.producer.ProducerMetrics;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Any program may write a partition's triggers hash: a trigger stored there that Tally cannot read (a
 * definition that is not JSON, a fire count that is not a number) is left out of a listing instead of
 * failing the listing of every other trigger, with or without a kind filter.
 */
@ExtendWith(RealRedisExtension.class)
class TriggerListingForeignStateTest {
    private static final String TOKEN = "trigger-foreign-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static RedissonClient redis;
    private static ApiServer server;
    private static final List<String> created = new ArrayList<>();

    @BeforeAll
    static void start(TestRedis testRedis) throws Exception {
        redis = testRedis.client();
        TallyConfig config = testRedis.config(2).set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1")
                .set(TallyConfig.API_TOKENS, TOKEN).build();
        server = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP, ServiceMetrics.newRegistry());
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = send("POST", "/v1/triggers", "{\"kind\":\"event\",\"eventType\":\"e" + i + "\"}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            created.add(JSON.readTree(r.body()).get("id").asText());
        }
        Keys keys = TestRedis.keys(config);
        for (int p = 0; p < 2; p++) {
            // what another program wrote: a definition that is not JSON, and a known trigger's count garbled
            redis.getMap(keys.triggers(p), StringCodec.INSTANCE).put("t" + p + "-01ARZ3NDEKTSV4RRFFQ69G5FAV", "{broken");
        }
        String garbled = created.get(0);
        int p = Integer.parseInt(garbled.substring(1, garbled.indexOf('-')));
        redis.getMap(keys.triggers(p), StringCodec.INSTANCE).put(garbled + ":fireCount", "not a number");
    }

    @AfterAll
    static void stop() {
        server.close();
        redis.shutdown();
    }

    @Test
    void triggersTallyCannotRead_areLeftOut_theOthersListed() throws Exception {
        assertThat(ids("/v1/triggers?limit=1000")).containsExactlyInAnyOrderElementsOf(created.subList(1, created.size()));
        assertThat(ids("/v1/triggers?limit=1000&kind=event")).containsExactlyInAnyOrderElementsOf(
                created.subList(1, created.size()));
    }

    private static List<String> ids(String path) throws Exception {
        HttpResponse<String> r = send("GET", path, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.hasNonNull("cursor")).as("one page holds them all").isFalse();
        List<String> ids = new ArrayList<>();
        body.get("triggers").forEach(t -> ids.add(t.get("id").asText()));
        return ids;
    }

    private static HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
