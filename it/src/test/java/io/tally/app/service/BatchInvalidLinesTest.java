package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.app.service.RawHttp.Reply;
import io.tally.common.config.TallyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * api-max-invalid-lines (default 1,000) on {@code POST /v1/batch}: at the invalid line after the last one allowed
 * the batch stops. The lines after it are neither parsed nor written, and the answer, a 400 as for a batch cut short,
 * says which lines were written and from which line to send again, with no more error entries than any batch has.
 */
class BatchInvalidLinesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CAP = TallyConfig.API_MAX_INVALID_LINES.defaultValue();
    /** Invalid lines of each kind the service tells: not an object, not JSON, a field it does not know. */
    private static final String[] INVALID = {"x", "{x", "{\"op\":\"incr\",\"counter\":\"invalid\",\"vaule\":1}"};

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(4);

    @Test
    void moreInvalidLinesThanTheCap_stopTheBatch_andTheAnswerNamesTheLinesWrittenAndWhereToGoOn() throws Exception {
        String body = incr("before", 5) + invalid(CAP + 50) + incr("after", 5);
        HttpResponse<String> r = api.post("/v1/batch", body, "application/x-ndjson");

        assertThat(r.statusCode()).as("%.300s", r.body()).isEqualTo(400);
        long stoppedAt = 5 + CAP + 1;
        assertThat(api.entriesOf("before")).as("the valid lines before the cut were written").isEqualTo(5);
        assertThat(api.entriesOf("after")).as("nothing after the cut was written").isZero();
        assertThat(api.entriesOf("invalid")).isZero();
        JsonNode answer = JSON.readTree(r.body());
        assertThat(answer.get("reason").asText()).isEqualTo("too_many_invalid_lines");
        assertThat(answer.get("lines").asLong()).isEqualTo(stoppedAt);
        assertThat(answer.get("accepted").asLong()).isEqualTo(5);
        assertThat(answer.get("failed").asLong()).isEqualTo(CAP + 1);
        assertThat(answer.get("complete").asBoolean()).isFalse();
        assertThat(answer.get("resendFromLine").asLong()).isEqualTo(stoppedAt + 1);
        assertThat(answer.get("detail").asText())
                .contains("line " + stoppedAt + " is invalid").contains("passed the limit of " + CAP
                        + " (api-max-invalid-lines)")
                .contains("5 of its lines were written").contains("send them again from line " + (stoppedAt + 1));
        JsonNode errors = answer.get("errors");
        assertThat(errors).hasSize(BatchRoutes.MAX_ERRORS);
        assertThat(errors.get(0).get("line").asLong()).isEqualTo(6);
        assertThat(errors.get(0).get("detail").asText()).isEqualTo("line 6 must be a JSON object");
        assertThat(errors.get(1).get("detail").asText()).startsWith("line 7 is not valid JSON");
        assertThat(errors.get(2).get("field").asText()).isEqualTo("vaule");
        assertThat(r.body().length()).as("error entries of under 200 bytes here, and a detail")
                .isLessThan(BatchRoutes.MAX_ERRORS * 200 + 2000);
    }

    @Test
    void aBatchOfInvalidLinesOnly_writesNothing_andItsAnswerDoesNotGrowWithTheBody() throws Exception {
        HttpResponse<String> small = api.post("/v1/batch", invalid(CAP + 1), "application/x-ndjson");
        HttpResponse<String> large = api.post("/v1/batch", invalid(100 * CAP) + incr("never", 1),
                "application/x-ndjson");

        assertThat(large.statusCode()).as("%.300s", large.body()).isEqualTo(400);
        assertThat(api.entriesOf("never")).isZero();
        JsonNode answer = JSON.readTree(large.body());
        assertThat(answer.get("failed").asLong()).isEqualTo(CAP + 1);
        assertThat(answer.get("accepted").asLong()).isZero();
        assertThat(answer.get("resendFromLine").asLong()).isEqualTo(CAP + 2);
        assertThat(answer.get("detail").asText()).contains("No line was written");
        assertThat(large.body().length()).as("the answer to 100 times as many invalid lines")
                .isEqualTo(small.body().length());
    }

    @Test
    void asManyInvalidLinesAsTheCap_areAnsweredAsInAnyBatch() throws Exception {
        HttpResponse<String> r = api.post("/v1/batch", incr("within", 5) + invalid(CAP) + incr("within", 5),
                "application/x-ndjson");

        assertThat(r.statusCode()).as("%.300s", r.body()).isEqualTo(200);
        JsonNode summary = JSON.readTree(r.body());
        assertThat(summary.get("accepted").asLong()).isEqualTo(10);
        assertThat(summary.get("failed").asLong()).isEqualTo(CAP);
        assertThat(summary.get("complete").asBoolean()).isTrue();
        assertThat(api.entriesOf("within")).isEqualTo(10);
    }

    /**
     * A chunked body left open after the cut: the answer comes without waiting for the rest (which the read
     * timeout of 60 s would end), and the connection is closed after it since the rest was never read.
     */
    @Test
    void aBodyStillArrivingAfterTheCut_isAnsweredWithoutReadingItAndTheConnectionCloses() throws Exception {
        Reply reply;
        try (Socket s = new Socket("127.0.0.1", api.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(ApiServerFixture.chunkedBatchHead().getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = (incr("open-before", 3) + invalid(CAP + 1) + incr("open-after", 3))
                    .getBytes(StandardCharsets.UTF_8);
            out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(chunk);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            reply = RawHttp.read(s);
        }
        assertThat(reply.status()).as("%.300s", reply.body()).isEqualTo(400);
        assertThat(reply.head().toLowerCase(Locale.ROOT)).contains("connection: close");
        assertThat(JSON.readTree(reply.body()).get("resendFromLine").asLong()).isEqualTo(3 + CAP + 2);
        assertThat(api.entriesOf("open-before")).isEqualTo(3);
        assertThat(api.entriesOf("open-after")).isZero();
    }

    private static String incr(String counter, int lines) {
        return ("{\"op\":\"incr\",\"counter\":\"" + counter + "\"}\n").repeat(lines);
    }

    private static String invalid(int lines) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            b.append(INVALID[i % INVALID.length]).append('\n');
        }
        return b.toString();
    }
}
