package io.tally.app.service;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tally.common.config.TallyConfig;
import io.tally.producer.ProducerMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.client.codec.StringCodec;
import org.slf4j.LoggerFactory;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code api-max-in-flight-per-token}: a token holding its cap of requests (read-your-writes waits, which hold no
 * thread) has its next request refused at once with 429, nothing written, while another token is served; its
 * count returns to 0 however its requests end (answered, timed out, client gone, an error), so it is served again.
 */
class TokenInFlightTest {
    private static final int CAP = 3;
    /** The second token: {@code env:2} of TALLY_API_TOKENS ({@link ApiServerFixture#TOKEN} is {@code env:1}). */
    private static final String OTHER = "token-in-flight-test-other-0123456789";
    /** An entry no checkpoint of this class reaches: a wait on it ends at its waitMs. */
    private static final String NEVER = "99999999999999-999999";

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(4)
            .with(TallyConfig.API_TOKENS, ApiServerFixture.TOKEN + "," + OTHER)
            .with(TallyConfig.API_MAX_IN_FLIGHT_PER_TOKEN, CAP);

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void tokenAtItsCap_is429AtOnce_whileAnotherTokenIsServed_andServedAgainOnceItsWaitsEnd() throws Exception {
        String first = "99999999999999-1";
        api.redis().getMap(api.keys().counters(api.partitionOf("held")), StringCodec.INSTANCE).put("held", "7");
        List<CompletableFuture<HttpResponse<String>>> waits = holdWaits("held", first, 30_000);

        long started = System.nanoTime();
        HttpResponse<String> refused = api.get("/v1/counters/held");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        assertThat((System.nanoTime() - started) / 1_000_000).as("refused at once").isLessThan(1000);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith(Problems.CONTENT_TYPE));
        assertThat(refused.body()).contains("\"status\":429").contains("\"reason\":\"token_busy\"")
                .contains("api-max-in-flight-per-token");

        started = System.nanoTime();
        HttpResponse<String> other = api.send(HttpRequest.newBuilder(api.uri("/v1/counters/held"))
                .header("Authorization", "Bearer " + OTHER));
        assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
        assertThat(other.body()).contains("\"value\":7");
        assertThat((System.nanoTime() - started) / 1_000_000).as("another token, served at once").isLessThan(1000);

        String metrics = metrics();
        assertThat(metrics).containsPattern(series("tally_api_requests_refused_total", "env:1", "1.0"))
                .containsPattern(series("tally_api_requests_refused_total", "env:2", "0.0"))
                .containsPattern(series("tally_api_requests_in_flight", "env:1", "3.0"))
                .containsPattern("(?m)^tally_api_requests_refused_total\\{.*reason=\"token_busy\".*\\} 1\\.0$")
                .doesNotContain(ApiServerFixture.TOKEN).doesNotContain(OTHER);
        assertThat(waits).noneMatch(CompletableFuture::isDone);

        api.redis().getMap(api.keys().checkpoint(api.partitionOf("held")), StringCodec.INSTANCE).put("ops", first);
        for (CompletableFuture<HttpResponse<String>> w : waits) {
            assertThat(w.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(w.join().body()).contains("\"applied\":true");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> api.server().inFlight(0) == 0);
        assertThat(metrics()).containsPattern(series("tally_api_requests_in_flight", "env:1", "0.0"));

        // the whole cap again: none of the three is refused, the fourth is
        List<CompletableFuture<HttpResponse<String>>> again = holdWaits("held", "99999999999999-2", 30_000);
        assertThat(api.get("/v1/counters/held").statusCode()).isEqualTo(429);
        api.redis().getMap(api.keys().checkpoint(api.partitionOf("held")), StringCodec.INSTANCE)
                .put("ops", "99999999999999-2");
        for (CompletableFuture<HttpResponse<String>> w : again) {
            assertThat(w.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> api.server().inFlight(0) == 0);
    }

    @Test
    void sendRefusedWith429_writesNothing_andIsTakenOnceTheWaitsTimeOut() throws Exception {
        String stream = api.keys().ops(api.partitionOf("refused-send"));
        long before = api.redis().getStream(stream, StringCodec.INSTANCE).size();
        List<CompletableFuture<HttpResponse<String>>> waits = holdWaits("timed-out", NEVER, 2000);

        HttpResponse<String> refused = api.post("/v1/counters/refused-send/incr", "{\"by\":5}");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        assertThat(api.redis().getStream(stream, StringCodec.INSTANCE).size()).as("entries of the partition's stream")
                .isEqualTo(before);
        assertThat(api.entriesOf("refused-send")).isZero();

        for (CompletableFuture<HttpResponse<String>> w : waits) {
            HttpResponse<String> r = w.get(20, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as("a wait past its waitMs, never applied: 404 with applied false").isEqualTo(404);
            assertThat(r.body()).contains("\"applied\":false");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> api.server().inFlight(0) == 0);
        HttpResponse<String> taken = api.post("/v1/counters/refused-send/incr", "{\"by\":5}");
        assertThat(taken.statusCode()).as(taken.body()).isEqualTo(202);
        assertThat(api.entriesOf("refused-send")).isEqualTo(1);
    }

    @Test
    void waitsWhoseClientsHungUp_leaveTheCount() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < CAP; i++) {
                Socket s = RawHttp.connectFrom(java.net.InetAddress.getLoopbackAddress(), api.port(), 5000);
                sockets.add(s);
                RawHttp.write(s, "GET /v1/counters/hung-up?after=" + NEVER + "&waitMs=2000 HTTP/1.1\r\nHost: x\r\n"
                        + "Authorization: Bearer " + ApiServerFixture.TOKEN + "\r\n\r\n");
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> api.server().inFlight(0) == CAP);
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> api.server().inFlight(0) == 0);
        assertThat(api.get("/v1/counters/hung-up").statusCode()).isEqualTo(404);
    }

    @Test
    void requestsAnsweredWithErrors_leaveTheCount() throws Exception {
        for (int i = 0; i < 2 * CAP; i++) {
            assertThat(api.get("/v1/counters/errors?after=not-an-id").statusCode()).isEqualTo(400);
            assertThat(api.post("/v1/counters/errors/incr", "{not json").statusCode()).isEqualTo(400);
            assertThat(api.get("/v1/no-such-route").statusCode()).isEqualTo(404);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> api.server().inFlight(0) == 0);
        assertThat(api.get("/v1/counters/errors").statusCode()).isEqualTo(404);
    }

    @Test
    void capOfZero_orAtTheConnectionCap_countsNothing() throws Exception {
        for (int cap : new int[] {0, 8}) {
            TallyConfig config = api.testRedis().config(2).set(TallyConfig.API_PORT, 0)
                    .set(TallyConfig.API_HOST, "127.0.0.1").set(TallyConfig.API_TOKENS, ApiServerFixture.TOKEN)
                    .set(TallyConfig.API_MAX_CONNECTIONS, 8).set(TallyConfig.API_MAX_IN_FLIGHT_PER_TOKEN, cap).build();
            try (ApiServer uncapped = new ApiServer(api.redis(), config, ApiTokens.from(config), ProducerMetrics.NOOP,
                    ServiceMetrics.newRegistry())) {
                URI wait = URI.create("http://127.0.0.1:" + uncapped.port() + "/v1/counters/c?after=" + NEVER
                        + "&waitMs=1500");
                List<CompletableFuture<HttpResponse<String>>> waits = new ArrayList<>();
                for (int i = 0; i < CAP + 2; i++) {
                    waits.add(client.sendAsync(HttpRequest.newBuilder(wait)
                            .header("Authorization", "Bearer " + ApiServerFixture.TOKEN).build(),
                            HttpResponse.BodyHandlers.ofString()));
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> uncapped.openWaits() == CAP + 2);
                for (CompletableFuture<HttpResponse<String>> w : waits) {
                    assertThat(w.get(20, TimeUnit.SECONDS).statusCode()).as("cap " + cap).isEqualTo(404);
                }
                String metrics = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + uncapped.port()
                        + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).doesNotContain("reason=\"token_busy\"")
                        .doesNotContain("tally_api_requests_in_flight");
            }
        }
    }

    @Test
    void insecureWithoutTokens_countsEveryRequestAsOneAnonymousToken() throws Exception {
        TallyConfig config = api.testRedis().config(2).set(TallyConfig.API_PORT, 0)
                .set(TallyConfig.API_HOST, "127.0.0.1").set(TallyConfig.API_INSECURE, true)
                .set(TallyConfig.API_MAX_IN_FLIGHT_PER_TOKEN, 2).build();
        try (ApiServer insecure = new ApiServer(api.redis(), config, ApiTokens.from(config), ProducerMetrics.NOOP,
                ServiceMetrics.newRegistry())) {
            URI wait = URI.create("http://127.0.0.1:" + insecure.port() + "/v1/counters/c?after=" + NEVER
                    + "&waitMs=2000");
            List<CompletableFuture<HttpResponse<String>>> waits = List.of(
                    client.sendAsync(HttpRequest.newBuilder(wait).build(), HttpResponse.BodyHandlers.ofString()),
                    client.sendAsync(HttpRequest.newBuilder(wait).header("Authorization", "Bearer whatever-it-is-0123")
                            .build(), HttpResponse.BodyHandlers.ofString()));
            await().atMost(Duration.ofSeconds(10)).until(() -> insecure.inFlight(0) == 2);
            HttpResponse<String> third = client.send(HttpRequest.newBuilder(wait).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(third.statusCode()).as(third.body()).isEqualTo(429);
            String metrics = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + insecure.port()
                    + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).containsPattern(series("tally_api_requests_refused_total", "anonymous", "1.0"));
            for (CompletableFuture<HttpResponse<String>> w : waits) {
                assertThat(w.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(404);
            }
        }
    }

    @Test
    void refusalsOfOneToken_logOneWarnNamingItsLabel_neverTheToken() throws Exception {
        TallyConfig config = api.testRedis().config(2).set(TallyConfig.API_PORT, 0)
                .set(TallyConfig.API_HOST, "127.0.0.1").set(TallyConfig.API_TOKENS, ApiServerFixture.TOKEN)
                .set(TallyConfig.API_MAX_IN_FLIGHT_PER_TOKEN, 1).build();
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger logger = (Logger) LoggerFactory.getLogger(TokenInFlight.class);
        logger.addAppender(logs);
        try (ApiServer server = new ApiServer(api.redis(), config, ApiTokens.from(config), ProducerMetrics.NOOP,
                ServiceMetrics.newRegistry())) {
            String base = "http://127.0.0.1:" + server.port();
            CompletableFuture<HttpResponse<String>> wait = client.sendAsync(HttpRequest.newBuilder(URI.create(base
                            + "/v1/counters/c?after=" + NEVER + "&waitMs=2000"))
                    .header("Authorization", "Bearer " + ApiServerFixture.TOKEN).build(),
                    HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(10)).until(() -> server.inFlight(0) == 1);
            for (int i = 0; i < 5; i++) {
                assertThat(client.send(HttpRequest.newBuilder(URI.create(base + "/v1/counters/c"))
                        .header("Authorization", "Bearer " + ApiServerFixture.TOKEN).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(429);
            }
            assertThat(client.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body())
                    .containsPattern(series("tally_api_requests_refused_total", "env:1", "5.0"));
            assertThat(wait.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(404);
        } finally {
            logger.detachAppender(logs);
        }
        List<String> warnings = logs.list.stream().filter(e -> e.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(warnings).as("one WARN a minute per token, however many refusals").hasSize(1);
        assertThat(warnings.get(0)).contains("env:1").contains("api-max-in-flight-per-token")
                .doesNotContain(ApiServerFixture.TOKEN);
    }

    /** {@link #CAP} waits of the fixture's token on {@code counter} after {@code entry}, held open once this returns. */
    private List<CompletableFuture<HttpResponse<String>>> holdWaits(String counter, String entry, int waitMs) {
        List<CompletableFuture<HttpResponse<String>>> waits = new ArrayList<>();
        for (int i = 0; i < CAP; i++) {
            waits.add(client.sendAsync(api.request("/v1/counters/" + counter + "?after=" + entry + "&waitMs=" + waitMs)
                    .GET().build(), HttpResponse.BodyHandlers.ofString()));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> api.server().inFlight(0) == CAP);
        return waits;
    }

    private String metrics() throws Exception {
        return client.send(HttpRequest.newBuilder(api.uri("/metrics")).build(), HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /** A pattern of the sample line of {@code name} for the token labelled {@code token}, with {@code value}. */
    private static String series(String name, String token, String value) {
        return "(?m)^" + name + "\\{[^}]*token=\"" + token + "\"[^}]*\\} " + value.replace(".", "\\.") + "$";
    }
}
