package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One test per parsing rule of docs/api.md, on the real service: the path is read strictly (no
 * {@code %2F}, only UTF-8, no U+FFFD), JSON bodies and NDJSON lines allow no trailing data and no
 * duplicate keys, and every answer carries a request id.
 */
class StrictParsingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(4);

    @Test
    void encodedSlashInAName_is400NamingThePath_andWritesNothing() throws Exception {
        assertPathRefused(api.post("/v1/counters/x%2Fy/incr", "{}"), "%2F");
        assertPathRefused(api.post("/v1/counters/x%2fy/incr", "{}"), "%2F");
        assertPathRefused(api.get("/v1/counters/x%2Fy"), "%2F");
        assertPathRefused(api.get("/v1/triggers/t0-x%2Fy"), "%2F");
        assertThat(api.entriesOf("x/y")).isZero();
    }

    @Test
    void invalidUtf8InAPath_is400_notTheReplacementCharacter() throws Exception {
        assertPathRefused(api.post("/v1/counters/a%FFb/incr", "{}"), "not valid UTF-8");
        assertPathRefused(api.post("/v1/counters/a%ED%A0%80b/incr", "{}"), "not valid UTF-8"); // an encoded surrogate
        assertPathRefused(api.post("/v1/counters/a%C0%AFb/incr", "{}"), "not valid UTF-8"); // an overlong '/'
        assertPathRefused(api.get("/v1/counters/a%E2%82"), "not valid UTF-8"); // cut short
        // Jetty refuses it: a problem for any method
        assertPathRefused(api.send(api.request("/v1/counters/a%FFb").DELETE()), "not valid UTF-8");
        assertThat(api.entriesOf("a\uFFFDb")).isZero();
    }

    @Test
    void replacementCharacterInAPath_is400_encodedOrRaw() throws Exception {
        assertPathRefused(api.post("/v1/counters/a%EF%BF%BDb/incr", "{}"), "U+FFFD");
        String raw = rawRequest("POST /v1/counters/a\uFFFDb/incr HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + ApiServerFixture.TOKEN + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        assertThat(raw).startsWith("HTTP/1.1 400").contains("application/problem+json").contains("U+FFFD")
                .contains("\"field\":\"path\"");
    }

    /**
     * The query string follows the rules of the path, minus the one on '/': decoded leniently, a parameter that is not
     * UTF-8 became U+FFFD (a union or prefix nobody named, answered 200) and one with a malformed escape was dropped
     * (the default limit, or a listing started again from its first page, answered 200).
     */
    @Test
    void queryParameterALenientDecoderWouldChange_is400NamingIt() throws Exception {
        assertQueryRefused(api.get("/v1/unique?counters=a%C0%AFb"), "counters", "not valid UTF-8");
        assertQueryRefused(api.get("/v1/counters?limit=5&prefix=p%FF"), "prefix", "not valid UTF-8");
        assertQueryRefused(api.get("/v1/counters?prefix=p%EF%BF%BD"), "prefix", "U+FFFD");
        for (String query : new String[] {"limit=%ZZ", "cursor=%G1", "limit=10&cursor=abc%"}) {
            String name = query.substring(query.lastIndexOf('&') + 1, query.lastIndexOf('='));
            String raw = rawRequest("GET /v1/counters?" + query + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + ApiServerFixture.TOKEN + "\r\nConnection: close\r\n\r\n");
            assertThat(raw).as(query).startsWith("HTTP/1.1 400").contains("application/problem+json")
                    .contains("\"field\":\"" + name + "\"").contains("malformed percent escape");
        }
        HttpResponse<String> fine = api.get("/v1/counters?prefix=a%2Fb%3A%C3%A9&limit=5");
        assertThat(fine.statusCode()).as(fine.body()).isEqualTo(200);
    }

    /**
     * A parameter that takes one value, given twice, is refused as a key given twice in a body is: read first-wins
     * here and last-wins by a proxy, one request would be two ({@code waitMs=1&waitMs=99999999} waited 1 ms).
     * {@code counters} of a union may repeat.
     */
    @Test
    void singleValuedQueryParameterGivenTwice_is400NamingIt() throws Exception {
        assertQueryRefused(api.get("/v1/counters/c?after=1-1&waitMs=1&waitMs=99999999"), "waitMs", "given 2 times");
        assertQueryRefused(api.get("/v1/counters?limit=1&limit=10000"), "limit", "given 2 times");
        assertQueryRefused(api.get("/v1/counters?prefix=a&prefix=b"), "prefix", "given 2 times");
        assertQueryRefused(api.get("/v1/counters/c/series?window=1m&window=1h"), "window", "given 2 times");
        assertQueryRefused(api.get("/v1/triggers?status=active&status=fired"), "status", "given 2 times");
        HttpResponse<String> union = api.get("/v1/unique?counters=a&counters=b");
        assertThat(union.statusCode()).as(union.body()).isEqualTo(200);
    }

    @Test
    void malformedPercentEscape_is400() throws Exception {
        String raw = rawRequest("GET /v1/counters/a%G1b HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + ApiServerFixture.TOKEN + "\r\nConnection: close\r\n\r\n");
        assertThat(raw).startsWith("HTTP/1.1 400").contains("application/problem+json");
    }

    @Test
    void requestJettyCannotParse_is400Problem_thatSaysTheConnectionCloses() throws Exception {
        // Jetty refuses an encoded NUL before any handler and closes the connection after its answer: the answer
        // must say so, or a client that keeps connections sends its next request into a closed one.
        String raw = rawRequest("GET /v1/counters/a%00b HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(raw).startsWith("HTTP/1.1 400").contains("Content-Type: application/problem+json")
                .containsIgnoringCase("Connection: close");
        JsonNode body = JSON.readTree(raw.substring(raw.indexOf("\r\n\r\n") + 4));
        assertThat(body.get("status").asInt()).isEqualTo(400);
        assertThat(body.get("requestId").asText()).matches("[0-9a-f]{16}");
        assertThat(raw).contains("X-Request-Id: " + body.get("requestId").asText());
        assertThat(body.has("instance")).as("Jetty's placeholder path is not shown").isFalse();
    }

    @Test
    void validUtf8Names_stillWork() throws Exception {
        assertThat(api.post("/v1/counters/caf%C3%A9%F0%9F%98%80/incr", "{}").statusCode()).isEqualTo(202);
        assertThat(api.entriesOf("caf\u00e9\ud83d\ude00")).isEqualTo(1);
        assertThat(api.post("/v1/counters/a:b%7Bp0%7D*/incr", "{}").statusCode()).isEqualTo(202);
    }

    @Test
    void trailingDataAfterTheJsonBody_is400() throws Exception {
        assertProblem(api.post("/v1/counters/trail/incr", "{\"by\":1} xyz"), 400, "not valid JSON");
        assertProblem(api.post("/v1/counters/trail/incr", "{\"by\":1}{\"by\":2}"), 400, "not valid JSON");
        assertProblem(api.post("/v1/events", "{\"type\":\"click\"} 1"), 400, "not valid JSON");
        assertProblem(api.post("/v1/triggers", "{\"kind\":\"time\",\"at\":1893456000000} []"), 400, "not valid JSON");
        assertThat(api.post("/v1/counters/trail/incr", "{\"by\":1} \n\t").statusCode()).as("whitespace is fine").isEqualTo(202);
        assertThat(api.entriesOf("trail")).isEqualTo(1);
    }

    @Test
    void duplicateKeys_are400NamingTheKey() throws Exception {
        assertProblem(api.post("/v1/counters/dup/incr", "{\"by\":1,\"by\":2}"), 400, "Duplicate field 'by'");
        assertProblem(api.post("/v1/events", "{\"type\":\"a\",\"params\":{\"k\":1,\"k\":2}}"), 400, "Duplicate field 'k'");
        assertThat(api.entriesOf("dup")).isZero();
    }

    @Test
    void batchLines_withTrailingDataOrDuplicateKeys_failAlone() throws Exception {
        String ndjson = "{\"op\":\"incr\",\"counter\":\"bl\",\"by\":1,\"by\":5}\n"
                + "{\"op\":\"incr\",\"counter\":\"bl\"} trailing\n"
                + "{\"op\":\"incr\",\"counter\":\"bl\"}\n";
        HttpResponse<String> r = api.post("/v1/batch", ndjson, "application/x-ndjson");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode summary = JSON.readTree(r.body());
        assertThat(summary.get("accepted").asInt()).isEqualTo(1);
        assertThat(summary.get("failed").asInt()).isEqualTo(2);
        assertThat(summary.at("/errors/0/detail").asText()).contains("Duplicate field 'by'");
        assertThat(summary.at("/errors/1/line").asInt()).isEqualTo(2);
        assertThat(summary.at("/errors/1/status").asInt()).isEqualTo(400);
    }

    @Test
    void everyAnswerCarriesARequestId_echoedWhenSane_inTheProblemBodyToo() throws Exception {
        HttpResponse<String> ok = api.send(api.request("/v1/counters/rid/incr").header("X-Request-Id", "client-42.a:b")
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(ok.headers().firstValue("X-Request-Id")).hasValue("client-42.a:b");

        HttpResponse<String> generated = api.get("/v1/counters/never-there");
        String id = generated.headers().firstValue("X-Request-Id").orElseThrow();
        assertThat(id).matches("[0-9a-f]{16}");
        assertThat(JSON.readTree(generated.body()).get("requestId").asText()).isEqualTo(id);

        HttpResponse<String> insane = api.send(api.request("/v1/counters/x").header("X-Request-Id", "a b<script>").GET());
        assertThat(insane.headers().firstValue("X-Request-Id")).hasValueSatisfying(v -> assertThat(v).matches("[0-9a-f]{16}"));

        HttpResponse<String> unauthorized = api.send(HttpRequest.newBuilder(api.uri("/v1/counters/x"))
                .header("X-Request-Id", "r-401").GET());
        assertThat(unauthorized.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(unauthorized.body()).get("requestId").asText()).isEqualTo("r-401");
    }

    private static void assertPathRefused(HttpResponse<String> r, String rule) throws Exception {
        assertProblem(r, 400, rule);
        assertThat(JSON.readTree(r.body()).get("field").asText()).isEqualTo("path");
    }

    private static void assertQueryRefused(HttpResponse<String> r, String field, String rule) throws Exception {
        assertProblem(r, 400, rule);
        assertThat(JSON.readTree(r.body()).get("field").asText()).isEqualTo(field);
    }

    private static void assertProblem(HttpResponse<String> r, int status, String detailContains) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith(Problems.CONTENT_TYPE));
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.get("detail").asText()).contains(detailContains);
        assertThat(body.get("requestId").asText()).isEqualTo(r.headers().firstValue("X-Request-Id").orElseThrow());
    }

    /** Sends the bytes as they are (UTF-8), for what java.net.http would encode or refuse. */
    private static String rawRequest(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", api.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            in.transferTo(reply);
            return reply.toString(StandardCharsets.UTF_8);
        }
    }
}
