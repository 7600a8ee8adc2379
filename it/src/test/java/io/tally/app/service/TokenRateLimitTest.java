package io.tally.app.service;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Partitioner;
import io.tally.producer.ProducerMetrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamRangeArgs;
import org.redisson.client.codec.StringCodec;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code api-max-ops-per-second-per-token} and {@code api-max-ops-burst-per-token}: a token's operations (single
 * sends, events, batch lines) past its bucket are answered 429 {@code token_rate} with a Retry-After from the bucket,
 * nothing beyond the bucket written, while another token is served; a batch stops at the first line without a token
 * and says which lines it wrote, so that sending the rest again from that line writes every line once. The buckets
 * fill on a clock of the test's own (one operation a second), so what is taken is exact.
 */
class TokenRateLimitTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final int BURST = 5;
    /** The second token: {@code env:2} of TALLY_API_TOKENS ({@link ApiServerFixture#TOKEN} is {@code env:1}). */
    private static final String OTHER = "token-rate-limit-test-other-0123456789";
    private static final AtomicLong NOW = new AtomicLong(1000 * SECOND);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ListAppender<ILoggingEvent> LOGS = new ListAppender<>();
    private static final Logger LOGGER = (Logger) LoggerFactory.getLogger(TokenRate.class);

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(4)
            .with(TallyConfig.API_TOKENS, ApiServerFixture.TOKEN + "," + OTHER)
            .with(TallyConfig.API_MAX_OPS_PER_SECOND_PER_TOKEN, 1)
            .with(TallyConfig.API_MAX_OPS_BURST_PER_TOKEN, BURST)
            .withRateClock(NOW::get);

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void captureLogs() {
        LOGS.start();
        LOGGER.addAppender(LOGS);
    }

    @AfterAll
    static void releaseLogs() {
        LOGGER.detachAppender(LOGS);
    }

    /** Every test starts with full buckets: an hour passes between tests. */
    @BeforeEach
    void fillBuckets() {
        NOW.addAndGet(3600 * SECOND);
    }

    @Test
    void sendsPastTheBurst_are429TokenRate_nothingWritten_whileAnotherTokenIsServed() throws Exception {
        double refusedBefore = refused("env:1");
        for (int i = 0; i < BURST; i++) {
            HttpResponse<String> r = api.post("/v1/counters/rated/incr", "{\"by\":1}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        }
        HttpResponse<String> refused = api.post("/v1/counters/rated/incr", "{\"by\":1}");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After")).as("one token comes back in 1 s").hasValue("1");
        assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith(Problems.CONTENT_TYPE));
        JsonNode problem = JSON.readTree(refused.body());
        assertThat(problem.get("reason").asText()).isEqualTo("token_rate");
        assertThat(problem.get("detail").asText()).contains("api-max-ops-per-second-per-token")
                .contains("api-max-ops-burst-per-token").contains("nothing was written");

        long eventsBefore = events("rated-click");
        HttpResponse<String> event = api.post("/v1/events", "{\"type\":\"rated-click\"}");
        assertThat(event.statusCode()).as("an event counts as an operation: " + event.body()).isEqualTo(429);
        assertThat(JSON.readTree(event.body()).get("reason").asText()).isEqualTo("token_rate");

        assertThat(api.entriesOf("rated")).as("the burst, nothing beyond").isEqualTo(BURST);
        assertThat(events("rated-click")).isEqualTo(eventsBefore);

        HttpResponse<String> other = api.send(HttpRequest.newBuilder(api.uri("/v1/counters/rated/incr"))
                .header("Authorization", "Bearer " + OTHER).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"by\":1}")));
        assertThat(other.statusCode()).as("another token has a bucket of its own: " + other.body()).isEqualTo(202);
        assertThat(api.entriesOf("rated")).isEqualTo(BURST + 1);

        assertThat(refused("env:1")).isEqualTo(refusedBefore + 2);
        assertThat(metrics()).containsPattern(series("token_rate", "env:2", "0.0"))
                .doesNotContain(ApiServerFixture.TOKEN).doesNotContain(OTHER);

        NOW.addAndGet(SECOND);
        assertThat(api.post("/v1/counters/rated/incr", "{\"by\":1}").statusCode()).as("a second later: one more")
                .isEqualTo(202);
        assertThat(api.post("/v1/counters/rated/incr", "{\"by\":1}").statusCode()).isEqualTo(429);
        assertThat(api.entriesOf("rated")).isEqualTo(BURST + 2);
    }

    @Test
    void requestsRefusedBeforeTheirSend_takeNoToken() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(api.post("/v1/counters/unsent/set", "{}").statusCode()).as("no value: 400").isEqualTo(400);
            assertThat(api.post("/v1/counters/unsent/incr", "{not json").statusCode()).isEqualTo(400);
            assertThat(api.get("/v1/counters/unsent").statusCode()).as("a read takes none").isEqualTo(404);
        }
        for (int i = 0; i < BURST; i++) {
            assertThat(api.post("/v1/counters/unsent/incr", "{}").statusCode()).isEqualTo(202);
        }
        assertThat(api.post("/v1/counters/unsent/incr", "{}").statusCode()).isEqualTo(429);
        assertThat(api.entriesOf("unsent")).isEqualTo(BURST);
    }

    @Test
    void batchPastTheBurst_stopsAtTheFirstLineWithoutAToken_andSaysWhichLinesItWrote() throws Exception {
        double refusedBefore = refused("env:1");
        HttpResponse<String> r = api.post("/v1/batch", lines(1, 8), "application/x-ndjson");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode summary = JSON.readTree(r.body());
        assertThat(summary.get("lines").asLong()).isEqualTo(BURST + 1);
        assertThat(summary.get("accepted").asLong()).isEqualTo(BURST);
        assertThat(summary.get("failed").asLong()).isEqualTo(1);
        assertThat(summary.get("complete").asBoolean()).isFalse();
        assertThat(summary.get("resendFromLine").asLong()).isEqualTo(BURST + 1);
        JsonNode stop = summary.get("errors").get(0);
        assertThat(stop.get("line").asLong()).isEqualTo(BURST + 1);
        assertThat(stop.get("status").asInt()).isEqualTo(429);
        assertThat(stop.get("reason").asText()).isEqualTo("token_rate");
        assertThat(stop.get("detail").asText()).contains("api-max-ops-per-second-per-token")
                .contains("send them again from line 6");
        assertThat(r.headers().firstValue("Retry-After")).as("the bucket of 5 is full again in 5 s").hasValue("5");
        assertThat(written(1, 8)).as("lines 1 to 5 once, none after").isEqualTo(List.of(1, 1, 1, 1, 1, 0, 0, 0));

        HttpResponse<String> none = api.post("/v1/batch", lines(6, 8), "application/x-ndjson");
        assertThat(none.statusCode()).as(none.body()).isEqualTo(429);
        JsonNode refused = JSON.readTree(none.body());
        assertThat(refused.get("reason").asText()).isEqualTo("token_rate");
        assertThat(refused.get("accepted").asLong()).isZero();
        assertThat(refused.get("detail").asText()).contains("at line 1").contains("nothing was written");
        assertThat(none.headers().firstValue("Retry-After")).hasValue("5");
        assertThat(written(1, 8)).isEqualTo(List.of(1, 1, 1, 1, 1, 0, 0, 0));

        HttpResponse<String> other = api.send(HttpRequest.newBuilder(api.uri("/v1/batch"))
                .header("Authorization", "Bearer " + OTHER).header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString(lines(9, 11))));
        assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
        assertThat(JSON.readTree(other.body()).get("complete").asBoolean()).isTrue();
        assertThat(written(9, 11)).isEqualTo(List.of(1, 1, 1));

        NOW.addAndGet(5 * SECOND);
        HttpResponse<String> rest = api.post("/v1/batch", lines(6, 8), "application/x-ndjson");
        assertThat(rest.statusCode()).as(rest.body()).isEqualTo(200);
        assertThat(JSON.readTree(rest.body()).get("complete").asBoolean()).isTrue();
        assertThat(written(1, 8)).as("every line once").isEqualTo(List.of(1, 1, 1, 1, 1, 1, 1, 1));
        assertThat(refused("env:1")).as("a stopped batch counts once").isEqualTo(refusedBefore + 2);
    }

    @Test
    void refusals_logOneWarnAMinute_namingTheTokensLabel_neverTheToken() throws Exception {
        for (int i = 0; i < BURST + 5; i++) {
            api.post("/v1/counters/logged/incr", "{}");
        }
        List<String> warnings = LOGS.list.stream().filter(e -> e.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(warnings).as("one WARN a minute per token, however many refusals in this class").hasSize(1);
        assertThat(warnings.get(0)).contains("env:1").contains("api-max-ops-per-second-per-token")
                .doesNotContain(ApiServerFixture.TOKEN);
    }

    @Test
    void rateZero_refusesNothing_andRegistersNoMeter() throws Exception {
        TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, api.config().get(TallyConfig.REDIS_URL))
                .set(TallyConfig.NAMESPACE, api.config().namespace()).set(TallyConfig.PARTITIONS, 4)
                .set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1")
                .set(TallyConfig.API_TOKENS, ApiServerFixture.TOKEN)
                .set(TallyConfig.API_MAX_OPS_PER_SECOND_PER_TOKEN, 0).set(TallyConfig.API_MAX_OPS_BURST_PER_TOKEN, 1)
                .build();
        try (ApiServer unlimited = new ApiServer(api.redis(), config, ApiTokens.from(config), ProducerMetrics.NOOP,
                ServiceMetrics.newRegistry(), NOW::get)) {
            String base = "http://127.0.0.1:" + unlimited.port();
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/counters/unlimited/incr"))
                        .header("Authorization", "Bearer " + ApiServerFixture.TOKEN)
                        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            }
            assertThat(client.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).doesNotContain("token_rate");
        }
        assertThat(api.entriesOf("unlimited")).isEqualTo(20);
    }

    /** Lines {@code from} to {@code to} of a batch, line i an incr of counter {@code batched-i}. */
    private static String lines(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(i -> "{\"op\":\"incr\",\"counter\":\"batched-" + i + "\"}\n")
                .collect(Collectors.joining());
    }

    /** How many entries each of {@code batched-from} to {@code batched-to} has. */
    private static List<Integer> written(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(i -> (int) api.entriesOf("batched-" + i)).toList();
    }

    /** Entries of events of {@code type} in its partition's stream. */
    private static long events(String type) {
        int p = new Partitioner(4).partitionOf(type);
        return api.redis().<String, String>getStream(api.keys().events(p), StringCodec.INSTANCE)
                .range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX))
                .values().stream().filter(fields -> type.equals(fields.get("type"))).count();
    }

    private double refused(String token) throws Exception {
        Matcher m = Pattern.compile("(?m)^tally_api_requests_refused_total\\{[^}]*"
                + "reason=\"token_rate\"[^}]*token=\"" + token + "\"[^}]*\\} (\\S+)$").matcher(metrics());
        assertThat(m.find()).as("tally_api_requests_refused_total{reason=token_rate, token=%s}", token).isTrue();
        return Double.parseDouble(m.group(1));
    }

    private String metrics() throws Exception {
        return client.send(HttpRequest.newBuilder(api.uri("/metrics")).build(), HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /** A pattern of the refused counter's sample for {@code reason} and the token labelled {@code token}. */
    private static String series(String reason, String token, String value) {
        return "(?m)^tally_api_requests_refused_total\\{[^}]*reason=\"" + reason + "\"[^}]*token=\"" + token
                + "\"[^}]*\\} " + value.replace(".", "\\.") + "$";
    }
}
