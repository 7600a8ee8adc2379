package io.tally.app.service;

import io.tally.common.config.TallyConfig;
import io.tally.producer.ProducerMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
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
class ReadYourWritesWaitTest {
    private static final int WAITS = 300;
    private static final String FAR_ENTRY = "99999999999999-0";

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(4).with(TallyConfig.API_MAX_WAITS, WAITS + 10)
            // one address and one token hold every wait here: a connection each, past the default caps per
            // address and per token (TokenInFlightTest has the latter)
            .with(TallyConfig.API_MAX_CONNECTIONS_PER_CLIENT, WAITS + 10).with(TallyConfig.API_MAX_IN_FLIGHT_PER_TOKEN, 0);

    @Test
    void threeHundredOpenWaits_leaveHealthAndSendsAnsweringWithinASecond_andEndWhenApplied() throws Exception {
        api.redis().getMap(api.keys().counters(api.partitionOf("waited")), StringCodec.INSTANCE).put("waited", "7");
        HttpClient client = HttpClient.newHttpClient();
        List<CompletableFuture<HttpResponse<String>>> waits = new ArrayList<>();
        for (int i = 0; i < WAITS; i++) {
            waits.add(client.sendAsync(api.request("/v1/counters/waited?after=" + FAR_ENTRY + "&waitMs=30000")
                    .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofString()));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> api.server().openWaits() == WAITS);

        long started = System.nanoTime();
        HttpResponse<String> live = client.send(HttpRequest.newBuilder(api.uri("/health/live"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        long liveMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(liveMs).as("/health/live beside %d waits", WAITS).isLessThan(1000);
        started = System.nanoTime();
        HttpResponse<String> send = client.send(api.request("/v1/counters/beside/incr")
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(send.statusCode()).isEqualTo(202);
        assertThat((System.nanoTime() - started) / 1_000_000).as("a send beside the waits").isLessThan(1000);
        assertThat(waits).noneMatch(CompletableFuture::isDone);
        assertThat(client.send(HttpRequest.newBuilder(api.uri("/metrics")).build(), HttpResponse.BodyHandlers.ofString())
                .body()).containsPattern("(?m)^tally_api_waits\\{.*\\} 300\\.0$");

        api.redis().getMap(api.keys().checkpoint(api.partitionOf("waited")), StringCodec.INSTANCE).put("ops", FAR_ENTRY);
        CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)).get(20, java.util.concurrent.TimeUnit.SECONDS);
        for (CompletableFuture<HttpResponse<String>> w : waits) {
            assertThat(w.join().statusCode()).isEqualTo(200);
            assertThat(w.join().body()).contains("\"value\":7").contains("\"applied\":true");
        }
        assertThat(api.server().openWaits()).isZero();
    }

    @Test
    void aWaitPastItsDeadline_answersAppliedFalse() throws Exception {
        api.redis().getMap(api.keys().counters(api.partitionOf("late")), StringCodec.INSTANCE).put("late", "1");
        HttpResponse<String> r = api.get("/v1/counters/late?after=" + FAR_ENTRY + "&waitMs=100");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"applied\":false");
    }

    @Test
    void waitsBeyondApiMaxWaits_are503WithRetryAfter() throws Exception {
        TallyConfig small = api.testRedis().config(2).set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1")
                .set(TallyConfig.API_INSECURE, true).set(TallyConfig.API_MAX_WAITS, 2).build();
        HttpClient client = HttpClient.newHttpClient();
        try (ApiServer capped = new ApiServer(api.redis(), small, ApiTokens.from(small), ProducerMetrics.NOOP,
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
}
