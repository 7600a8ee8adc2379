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
import org.redisson.client.codec.StringCodec;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Read-your-writes waits ({@code GET /v1/counters/{name}?after=&waitMs=}) hold no request thread:
 * hundreds of open waits leave health and sends answering at once, the waits end when the
 * checkpoint reaches their entry, and past {@code api-max-waits} a wait is refused with 503.
 */
@ExtendWith(RealRedisExtension.class)
class ReadYourWritesWaitTest {
    private static final String TOKEN = "waits-token-0123456789";
    private static final int WAITS = 300;
    private static final String FAR_ENTRY = "99999999999999-0";

    private static RedissonClient redis;
    private static ApiServer server;
    private static Keys keys;
    private static Partitioner partitioner;

    @BeforeAll
    static void start(TestRedis testRedis) {
        redis = testRedis.client();
        TallyConfig config = testRedis.config(4).set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1")
                .set(TallyConfig.API_TOKENS, TOKEN).set(TallyConfig.API_MAX_WAITS, WAITS + 10)
                // one address holds every wait here: a connection each, past the default cap per address
                .set(TallyConfig.API_MAX_CONNECTIONS_PER_CLIENT, WAITS + 10).build();
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
    void threeHundredOpenWaits_leaveHealthAndSendsAnsweringWithinASecond_andEndWhenApplied() throws Exception {
        redis.getMap(keys.counters(partitioner.partitionOf("waited")), StringCodec.INSTANCE).put("waited", "7");
        HttpClient client = HttpClient.newHttpClient();
        List<CompletableFuture<HttpResponse<String>>> waits = new ArrayList<>();
        for (int i = 0; i < WAITS; i++) {
            waits.add(client.sendAsync(authed("/v1/counters/waited?after=" + FAR_ENTRY + "&waitMs=30000")
                    .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofString()));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> server.openWaits() == WAITS);

        long started = System.nanoTime();
        HttpResponse<String> live = client.send(HttpRequest.newBuilder(uri("/health/live"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        long liveMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(liveMs).as("/health/live beside %d waits", WAITS).isLessThan(1000);
        started = System.nanoTime();
        HttpResponse<String> send = client.send(authed("/v1/counters/beside/incr").timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(send.statusCode()).isEqualTo(202);
        assertThat((System.nanoTime() - started) / 1_000_000).as("a send beside the waits").isLessThan(1000);
        assertThat(waits).noneMatch(CompletableFuture::isDone);
        assertThat(client.send(HttpRequest.newBuilder(uri("/metrics")).build(), HttpResponse.BodyHandlers.ofString())
                .body()).containsPattern("(?m)^tally_api_waits\\{.*\\} 300\\.0$");

        redis.getMap(keys.checkpoint(partitioner.partitionOf("waited")), StringCodec.INSTANCE).put("ops", FAR_ENTRY);
        CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)).get(20, java.util.concurrent.TimeUnit.SECONDS);
        for (CompletableFuture<HttpResponse<String>> w : waits) {
            assertThat(w.join().statusCode()).isEqualTo(200);
            assertThat(w.join().body()).contains("\"value\":7").contains("\"applied\":true");
        }
        assertThat(server.openWaits()).isZero();
    }

    @Test
    void aWaitPastItsDeadline_answersAppliedFalse() throws Exception {
        redis.getMap(keys.counters(partitioner.partitionOf("late")), StringCodec.INSTANCE).put("late", "1");
        HttpResponse<String> r = HttpClient.newHttpClient().send(authed("/v1/counters/late?after=" + FAR_ENTRY
                + "&waitMs=100").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"applied\":false");
    }

    @Test
    void waitsBeyondApiMaxWaits_are503WithRetryAfter(TestRedis testRedis) throws Exception {
        TallyConfig small = testRedis.config(2).set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1")
                .set(TallyConfig.API_INSECURE, true).set(TallyConfig.API_MAX_WAITS, 2).build();
        HttpClient client = HttpClient.newHttpClient();
        try (ApiServer capped = new ApiServer(redis, small, ApiTokens.from(small), ProducerMetrics.NOOP,
                ServiceMetrics.newRegistry())) {
            URI wait = URI.create("http://127.0.0.1:" + capped.port() + "/v1/counters/c?after=" + FAR_ENTRY + "&waitMs=5000");
            List<CompletableFuture<HttpResponse<String>>> open = List.of(
                    client.sendAsync(HttpRequest.newBuilder(wait).build(), HttpResponse.BodyHandlers.ofString()),
                    client.sendAsync(HttpRequest.newBuilder(wait).build(), HttpResponse.BodyHandlers.ofString()));
            await().atMost(Duration.ofSeconds(10)).until(() -> capped.openWaits() == 2);
            HttpResponse<String> third = client.send(HttpRequest.newBuilder(wait).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(third.statusCode()).as(third.body()).isEqualTo(503);
            assertThat(third.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(third.headers().firstValue("Content-Type")).hasValueSatisfying(
                    v -> assertThat(v).startsWith(Problems.CONTENT_TYPE));
            assertThat(third.body()).contains("api-max-waits");
            assertThat(open).noneMatch(CompletableFuture::isDone);
        }
    }

    private static HttpRequest.Builder authed(String path) {
        return HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + TOKEN);
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
