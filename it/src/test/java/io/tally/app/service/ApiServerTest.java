package io.tally.app.service;

import io.tally.common.config.ConfigException;
import io.tally.common.config.TallyConfig;
import io.tally.producer.ProducerMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamRangeArgs;
import org.redisson.client.codec.StringCodec;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Drives the real service over HTTP against a real Redis (no processor: applied state is written by hand). */
class ApiServerTest {
    /** A second token the service accepts beside the fixture's. */
    private static final String OTHER_TOKEN = "other-token-0123456789";

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(4)
            .with(TallyConfig.API_TOKENS, ApiServerFixture.TOKEN + "," + OTHER_TOKEN)
            .with(TallyConfig.API_MAX_BODY_BYTES, 2048);

    @Test
    void incr_answers202WithPartitionAndEntryId_andWritesTheEntry() throws Exception {
        HttpResponse<String> r = api.post("/v1/counters/clicks/incr", "{\"by\":5}");
        assertThat(r.statusCode()).isEqualTo(202);
        int p = api.partitionOf("clicks");
        assertThat(r.body()).contains("\"partition\":" + p).contains("\"duplicate\":false").contains("\"entryId\":\"");
        Map<StreamMessageId, Map<String, String>> entries =
                api.redis().<String, String>getStream(api.keys().ops(p), StringCodec.INSTANCE)
                        .range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX));
        assertThat(entries.values()).contains(Map.of("op", "incr", "counter", "clicks", "by", "5"));
    }

    @Test
    void incrWithoutBody_addsOne_andDecrSetResetAreAccepted() throws Exception {
        assertThat(api.post("/v1/counters/plain/incr", "").statusCode()).isEqualTo(202);
        assertThat(api.post("/v1/counters/plain/decr", "{\"by\":\"9223372036854775807\"}").statusCode()).isEqualTo(202);
        assertThat(api.post("/v1/counters/plain/set", "{\"value\":-9}").statusCode()).isEqualTo(202);
        assertThat(api.post("/v1/counters/plain/reset", "{}").statusCode()).isEqualTo(202);
        int p = api.partitionOf("plain");
        assertThat(api.redis().getStream(api.keys().ops(p), StringCodec.INSTANCE).size()).isGreaterThanOrEqualTo(4);
    }

    @Test
    void sameIdTwice_secondAnswerIsDuplicateWithTheOriginalEntryId() throws Exception {
        String first = api.post("/v1/counters/idem/incr", "{\"by\":1,\"id\":\"op-42\"}").body();
        String second = api.post("/v1/counters/idem/incr", "{\"by\":1,\"id\":\"op-42\"}").body();
        assertThat(second).contains("\"duplicate\":true").contains(entryId(first));
    }

    @Test
    void sameIdWithAnotherPayload_is409NamingTheId_andTheSameIdOnAnotherCounterIsWritten() throws Exception {
        String first = api.post("/v1/counters/idem409/incr", "{\"by\":1,\"id\":\"op-43\"}").body();
        HttpResponse<String> conflict = api.post("/v1/counters/idem409/incr", "{\"by\":2,\"id\":\"op-43\"}");
        assertProblem(conflict, 409, "\"id\":\"op-43\"");
        assertThat(conflict.body()).contains("\"originalEntryId\":\"" + entryId(first) + "\"")
                .contains("different payload").contains("'idem409'");
        HttpResponse<String> elsewhere = api.post("/v1/counters/idem409-other/incr", "{\"by\":2,\"id\":\"op-43\"}");
        assertThat(elsewhere.statusCode()).isEqualTo(202);
        assertThat(elsewhere.body()).contains("\"duplicate\":false");
    }

    @Test
    void batch_aLineReusingAnIdWithAnotherPayload_failsAloneWith409() throws Exception {
        String ndjson = String.join("\n",
                "{\"op\":\"incr\",\"counter\":\"b409\",\"id\":\"c-1\"}",
                "{\"op\":\"incr\",\"counter\":\"b409\",\"by\":5,\"id\":\"c-1\"}",
                "{\"op\":\"incr\",\"counter\":\"b409\",\"id\":\"c-1\"}") + "\n";
        HttpResponse<String> r = api.post("/v1/batch", ndjson, "application/x-ndjson");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"accepted\":2").contains("\"duplicates\":1").contains("\"failed\":1")
                .contains("{\"line\":2,\"status\":409,\"field\":\"id\"");
    }

    @Test
    void setWithoutValue_is400NamingTheField() throws Exception {
        HttpResponse<String> r = api.post("/v1/counters/c/set", "{}");
        assertProblem(r, 400, "\"field\":\"value\"");
        assertThat(r.body()).contains("missing field 'value'");
    }

    @Test
    void nonIntegerBy_is400NamingTheField() throws Exception {
        assertProblem(api.post("/v1/counters/c/incr", "{\"by\":1.5}"), 400, "\"field\":\"by\"");
        assertProblem(api.post("/v1/counters/c/incr", "{\"by\":\"12x\"}"), 400, "\"field\":\"by\"");
        assertProblem(api.post("/v1/counters/c/incr", "{\"by\":99999999999999999999}"), 400, "\"field\":\"by\"");
    }

    @Test
    void unknownField_is400NamingIt() throws Exception {
        assertProblem(api.post("/v1/counters/c/set", "{\"vaule\":3}"), 400, "\"field\":\"vaule\"");
    }

    @Test
    void malformedJson_is400() throws Exception {
        HttpResponse<String> r = api.post("/v1/counters/c/incr", "{\"by\":");
        assertProblem(r, 400, "not valid JSON");
        assertProblem(api.post("/v1/counters/c/incr", "[1]"), 400, "must be a JSON object");
    }

    @Test
    void counterNameTooLong_is400NamingCounter() throws Exception {
        assertProblem(api.post("/v1/counters/" + "x".repeat(201) + "/incr", "{}"), 400, "\"field\":\"counter\"");
    }

    @Test
    void missingOrWrongToken_is401WithChallenge() throws Exception {
        HttpResponse<String> none = api.send(HttpRequest.newBuilder(api.uri("/v1/counters/c")).GET());
        assertProblem(none, 401, "missing 'Authorization: Bearer");
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        HttpResponse<String> wrong = api.send(HttpRequest.newBuilder(api.uri("/v1/counters/c"))
                .header("Authorization", "Bearer nope").GET());
        assertProblem(wrong, 401, "not accepted");
        assertThat(wrong.body()).doesNotContain(ApiServerFixture.TOKEN);
        HttpResponse<String> second = api.send(HttpRequest.newBuilder(api.uri("/v1/counters/absent"))
                .header("Authorization", "Bearer " + OTHER_TOKEN).GET());
        assertThat(second.statusCode()).isEqualTo(404);
    }

    @Test
    void unknownRoute_is404Problem() throws Exception {
        assertProblem(api.get("/v1/nothing-here"), 404, "no endpoint GET /v1/nothing-here");
    }

    @Test
    void unknownCounter_is404WithValueZero() throws Exception {
        HttpResponse<String> r = api.get("/v1/counters/never-written");
        assertProblem(r, 404, "does not exist");
        assertThat(r.body()).contains("\"value\":0");
    }

    @Test
    void getCounter_returnsTheAppliedValue() throws Exception {
        int p = api.partitionOf("applied");
        api.redis().getMap(api.keys().counters(p), StringCodec.INSTANCE).put("applied", "41");
        HttpResponse<String> r = api.get("/v1/counters/applied");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"name\":\"applied\"").contains("\"value\":41").contains("\"partition\":" + p);
    }

    @Test
    void getCounterAfterEntry_reportsWhetherTheCheckpointReachedIt() throws Exception {
        String id = entryId(api.post("/v1/counters/ryw/incr", "{}").body());
        int p = api.partitionOf("ryw");
        api.redis().getMap(api.keys().counters(p), StringCodec.INSTANCE).put("ryw", "1");
        assertThat(api.get("/v1/counters/ryw?after=" + id + "&waitMs=50").body()).contains("\"applied\":false");
        api.redis().getMap(api.keys().checkpoint(p), StringCodec.INSTANCE).put("ops", id);
        assertThat(api.get("/v1/counters/ryw?after=" + id + "&waitMs=2000").body()).contains("\"applied\":true");
        assertProblem(api.get("/v1/counters/ryw?after=nonsense"), 400, "\"field\":\"after\"");
        assertProblem(api.get("/v1/counters/ryw?after=" + id + "&waitMs=999999"), 400, "\"field\":\"waitMs\"");
    }

    @Test
    void deleteCounter_is204ThenMissing404() throws Exception {
        int p = api.partitionOf("doomed");
        api.redis().getMap(api.keys().counters(p), StringCodec.INSTANCE).put("doomed", "3");
        assertThat(api.send(api.request("/v1/counters/doomed").DELETE()).statusCode()).isEqualTo(204);
        assertThat(api.redis().getMap(api.keys().counters(p), StringCodec.INSTANCE).containsKey("doomed")).isFalse();
        assertProblem(api.send(api.request("/v1/counters/doomed").DELETE()), 404, "does not exist");
    }

    @Test
    void listCounters_filtersByPrefix() throws Exception {
        api.redis().getMap(api.keys().counters(api.partitionOf("list.b")), StringCodec.INSTANCE).put("list.b", "2");
        api.redis().getMap(api.keys().counters(api.partitionOf("list.a")), StringCodec.INSTANCE).put("list.a", "1");
        api.redis().getMap(api.keys().counters(api.partitionOf("other")), StringCodec.INSTANCE).put("other", "9");
        String body = api.get("/v1/counters?prefix=list.").body();
        assertThat(body).contains("\"name\":\"list.a\"").contains("\"name\":\"list.b\"").doesNotContain("other");
        assertProblem(api.get("/v1/counters?limit=0"), 400, "\"field\":\"limit\"");
    }

    @Test
    void bodyTooLarge_is413() throws Exception {
        String big = "{\"by\":1,\"id\":\"" + "x".repeat(3000) + "\"}";
        assertProblem(api.post("/v1/counters/c/incr", big), 413, "api-max-body-bytes");
    }

    @Test
    void event_is202_andBadParamsAre400NamingTheParameter() throws Exception {
        HttpResponse<String> r = api.post("/v1/events", "{\"type\":\"click\",\"id\":\"e1\",\"params\":{\"button\":\"buy\",\"n\":3}}");
        assertThat(r.statusCode()).isEqualTo(202);
        int p = api.partitionOf("click");
        assertThat(api.redis().<String, String>getStream(api.keys().events(p), StringCodec.INSTANCE)
                .range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX)).values())
                .anySatisfy(f -> assertThat(f).containsEntry("type", "click").containsEntry("p.button", "buy")
                        .containsEntry("p.n", "3").containsEntry("id", "e1"));
        assertProblem(api.post("/v1/events", "{\"params\":{}}"), 400, "\"field\":\"type\"");
        assertProblem(api.post("/v1/events", "{\"type\":\"click\",\"params\":{\"deep\":{\"x\":1}}}"), 400,
                "\"field\":\"params.deep\"");
    }

    @Test
    void batch_sendsEachLine_andSummarisesFailuresByLine() throws Exception {
        String ndjson = String.join("\n",
                "{\"op\":\"incr\",\"counter\":\"batched\",\"by\":2}",
                "{\"op\":\"frobnicate\",\"counter\":\"batched\"}",
                "",
                "{\"type\":\"click\",\"params\":{\"k\":\"v\"}}",
                "{\"op\":\"set\",\"counter\":\"batched\"}",
                "not json",
                "{\"op\":\"incr\",\"counter\":\"batched\",\"id\":\"b-1\"}",
                "{\"op\":\"incr\",\"counter\":\"batched\",\"id\":\"b-1\"}") + "\n";
        HttpResponse<String> r = api.post("/v1/batch", ndjson, "application/x-ndjson");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"lines\":7").contains("\"accepted\":4").contains("\"duplicates\":1")
                .contains("\"failed\":3")
                .contains("{\"line\":2,\"status\":400,\"field\":\"op\"")
                .contains("{\"line\":5,\"status\":400,\"field\":\"value\"")
                .contains("{\"line\":6,\"status\":400");
        int p = api.partitionOf("batched");
        assertThat(api.redis().getStream(api.keys().ops(p), StringCodec.INSTANCE).size()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void batch_overlongLine_isCountedAsA413Failure_notSkipped() throws Exception {
        String ndjson = "{\"op\":\"incr\",\"counter\":\"" + "x".repeat(3000) + "\"}\n"
                + "{\"op\":\"incr\",\"counter\":\"after-long\"}\n";
        HttpResponse<String> r = api.post("/v1/batch", ndjson, "application/x-ndjson");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"lines\":2").contains("\"accepted\":1").contains("\"failed\":1")
                .contains("{\"line\":1,\"status\":413");
    }

    @Test
    void firings_newestFirstOverPartitions_withEveryField_andEntriesThatAreNotFiringsLeftOut() throws Exception {
        for (int p = 0; p < 4; p++) {
            api.redis().<String, String>getStream(api.keys().firings(p), StringCodec.INSTANCE)
                    .add(StreamAddArgs.entries(Map.of("firing_id", "t" + p + ":1-0", "trigger", "t" + p, "kind", "event",
                            "cause", "1-0", "fired_at", "1893456000000", "p.who", "ops")));
            Thread.sleep(3); // streams of different partitions may share an id within one millisecond
        }
        String body = api.get("/v1/firings?limit=3").body();
        assertThat(body).contains("\"trigger\":\"t3\"").contains("\"trigger\":\"t2\"").contains("\"trigger\":\"t1\"")
                .doesNotContain("\"trigger\":\"t0\"");
        assertThat(body.indexOf("t3")).isLessThan(body.indexOf("t1"));
        assertThat(body).contains("\"fields\":{\"cause\":\"1-0\",\"fired_at\":\"1893456000000\",\"firing_id\":\"t3:1-0\","
                + "\"kind\":\"event\",\"p.who\":\"ops\",\"trigger\":\"t3\"}");

        api.redis().<String, String>getStream(api.keys().firings(0), StringCodec.INSTANCE)
                .add(StreamAddArgs.entries(Map.of("trigger", "not-a-firing", "kind", "event")));
        HttpResponse<String> withBroken = api.get("/v1/firings?limit=10");
        assertThat(withBroken.statusCode()).isEqualTo(200);
        assertThat(withBroken.body()).doesNotContain("not-a-firing").contains("\"trigger\":\"t0\"");
        assertProblem(api.get("/v1/firings?limit=abc"), 400, "\"field\":\"limit\"");
    }

    @Test
    void healthAndMetrics_needNoToken() throws Exception {
        assertThat(api.send(HttpRequest.newBuilder(api.uri("/health/live"))).statusCode()).isEqualTo(200);
        HttpResponse<String> ready = api.send(HttpRequest.newBuilder(api.uri("/health/ready")));
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("UP");
        HttpResponse<String> metrics = api.send(HttpRequest.newBuilder(api.uri("/metrics")));
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("jvm_memory_used_bytes");
    }

    @Test
    void metrics_answerOpenMetricsWhenAsked_andTextFormat004Otherwise() throws Exception {
        HttpResponse<String> text = api.send(HttpRequest.newBuilder(api.uri("/metrics")));
        HttpResponse<String> openMetrics = api.send(HttpRequest.newBuilder(api.uri("/metrics"))
                .header("Accept", "application/openmetrics-text; version=1.0.0"));

        assertThat(text.headers().firstValue("Content-Type")).contains("text/plain; version=0.0.4; charset=utf-8");
        assertThat(text.body()).contains("# TYPE jvm_classes_loaded_classes gauge").doesNotContain("# EOF");
        assertThat(openMetrics.statusCode()).isEqualTo(200);
        assertThat(openMetrics.headers().firstValue("Content-Type"))
                .contains("application/openmetrics-text; version=1.0.0; charset=utf-8");
        assertThat(openMetrics.headers().firstValue("Vary")).contains("Accept");
        assertThat(openMetrics.body()).contains("# TYPE jvm_classes_loaded_classes gauge").endsWith("# EOF\n");
    }

    @Test
    void backlogPastTheLimit_is503WithRetryAfter() throws Exception {
        TallyConfig limited = api.testRedis().config(2).set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1")
                .set(TallyConfig.API_INSECURE, true).set(TallyConfig.BACKLOG_LIMIT, 3).build();
        try (ApiServer small = new ApiServer(api.redis(), limited, ApiTokens.from(limited), ProducerMetrics.NOOP,
                ServiceMetrics.newRegistry())) {
            URI incr = URI.create("http://127.0.0.1:" + small.port() + "/v1/counters/busy/incr");
            for (int i = 0; i < 5; i++) {
                assertThat(api.send(HttpRequest.newBuilder(incr).POST(HttpRequest.BodyPublishers.noBody()))
                        .statusCode()).isEqualTo(202);
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                HttpResponse<String> r = api.send(HttpRequest.newBuilder(incr).POST(HttpRequest.BodyPublishers.noBody()));
                assertProblem(r, 503, "backlog-limit");
                assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
            });
        }
    }

    @Test
    void aWrongMethodOnAKnownPath_is405WithAllow_andAnUnknownPathIs404() throws Exception {
        HttpResponse<String> put = api.send(api.request("/v1/counters/c").PUT(HttpRequest.BodyPublishers.ofString("{}")));
        assertProblem(put, 405, "PUT is not allowed on /v1/counters/c; allowed: GET, DELETE");
        assertThat(put.headers().firstValue("Allow")).hasValue("GET, DELETE");
        HttpResponse<String> getIncr = api.get("/v1/counters/c/incr");
        assertProblem(getIncr, 405, "allowed: POST");
        assertThat(getIncr.headers().firstValue("Allow")).hasValue("POST");
        HttpResponse<String> html = api.send(api.request("/v1/events").header("Accept", "text/html").GET());
        assertThat(html.statusCode()).isEqualTo(405);
        assertThat(html.headers().firstValue("Allow")).hasValue("POST");
        HttpResponse<String> health = api.send(HttpRequest.newBuilder(api.uri("/health/live"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(health.statusCode()).isEqualTo(405);
        assertThat(health.headers().firstValue("Allow")).hasValue("GET");
        assertProblem(api.get("/v1/nothing"), 404, "no endpoint GET /v1/nothing");
    }

    @Test
    void aWindowTheServiceDoesNotConfigure_is400NamingTheConfiguredOnes_andNothingIsWritten() throws Exception {
        int p = api.partitionOf("win");
        long before = api.redis().getStream(api.keys().ops(p), StringCodec.INSTANCE).size();
        HttpResponse<String> r = api.post("/v1/counters/win/incr", "{\"windows\":\"1m,5m\"}");
        assertProblem(r, 400, "\"field\":\"windows\"");
        assertThat(r.body()).contains("window '5m' is not configured; configured windows: 1m, 1h, 1d (series-windows)")
                .contains("\"reason\":\"bad_windows\"");
        assertProblem(api.post("/v1/counters/win/unique", "{\"member\":\"m\",\"windows\":\"2h\"}"), 400, "window '2h'");
        HttpResponse<String> batch = api.post("/v1/batch", "{\"op\":\"incr\",\"counter\":\"win\",\"windows\":\"5m\"}\n"
                + "{\"op\":\"incr\",\"counter\":\"win\",\"windows\":\"1h\"}\n", "application/x-ndjson");
        assertThat(batch.body()).contains("\"accepted\":1").contains("{\"line\":1,\"status\":400,\"field\":\"windows\"");
        assertThat(api.redis().getStream(api.keys().ops(p), StringCodec.INSTANCE).size()).isEqualTo(before + 1);
        assertThat(api.post("/v1/counters/win/incr", "{\"windows\":\"1m,1d\"}").statusCode()).isEqualTo(202);
    }

    @Test
    void noTokenConfigured_refusesToStartUnlessInsecure() {
        TallyConfig none = api.testRedis().config(2).build();
        assertThatThrownBy(() -> ApiTokens.from(none)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("TALLY_API_TOKENS").hasMessageContaining("--insecure");
        assertThat(ApiTokens.from(none.toBuilder().set(TallyConfig.API_INSECURE, true).build()).insecure()).isTrue();
    }

    private static void assertProblem(HttpResponse<String> r, int status, String bodyContains) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("application/problem+json"));
        assertThat(r.body()).contains("\"status\":" + status).contains(bodyContains);
    }

    private static String entryId(String body) {
        int at = body.indexOf("\"entryId\":\"") + 11;
        return body.substring(at, body.indexOf('"', at));
    }
}
