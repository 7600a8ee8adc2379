package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.common.config.TallyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * api-max-batch-bytes on {@code POST /v1/batch}: a body known to be past it (Content-Length) is refused with 413
 * before anything is written; a body whose size shows only while it is read (chunked) is refused with 413 as soon
 * as it passes the limit when nothing was written yet (newline or not); and when its first lines were already
 * written, the answer is no 413 but a summary naming what was written and the line to send again from.
 */
class BatchBodyLimitsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The batch limit of this service: small, so that a body past it costs the test little. */
    private static final long BATCH_LIMIT = 1024 * 1024;

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(4).with(TallyConfig.API_MAX_BATCH_BYTES, BATCH_LIMIT);

    @Test
    void aBatchWhoseContentLengthIsPastTheLimit_is413_andWritesNothing() throws Exception {
        String line = "{\"op\":\"incr\",\"counter\":\"declared-over\"}\n";
        String lines = line.repeat((int) (BATCH_LIMIT * 3 / 2 / line.length()));
        HttpResponse<String> r = api.post("/v1/batch", lines, "application/x-ndjson");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
        assertThat(JSON.readTree(r.body()).get("detail").asText()).contains("nothing was written");
        assertThat(api.entriesOf("declared-over")).isZero();
    }

    /**
     * A chunked body with no newline: it is refused as soon as it passes the limit, not read to its end. 4 times
     * the limit is sent and the body left open: the 413 must come without waiting for the end.
     */
    @Test
    void aChunkedBatchWithoutNewlinesPastTheLimit_is413_withoutReadingItToTheEnd() throws Exception {
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, (byte) 'a');
        String reply;
        try (Socket s = new Socket("127.0.0.1", api.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(ApiServerFixture.chunkedBatchHead().getBytes(StandardCharsets.US_ASCII));
            try {
                for (long sent = 0; sent < 4 * BATCH_LIMIT; sent += chunk.length) {
                    out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(chunk);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.flush();
            } catch (IOException closedByServer) {
                // a server that refused the body may close the connection while we still send
            }
            try {
                reply = statusLine(s.getInputStream());
            } catch (SocketTimeoutException e) {
                reply = "no answer within 10 s";
            }
        }
        assertThat(reply).startsWith("HTTP/1.1 413");
    }

    /**
     * A chunked batch (no Content-Length) that grows past the limit after its first lines were sent and written:
     * a 413 would say the body was refused, and a client that follows it would write those lines twice. The answer
     * is the batch's summary instead, which names what was written and the line from which to send the rest again.
     */
    @Test
    void aChunkedBatchPastTheLimitAfterWritingLines_isNot413_andNamesTheLineToSendAgainFrom() throws Exception {
        String line = "{\"op\":\"incr\",\"counter\":\"chunked-over\"}\n";
        int count = (int) (BATCH_LIMIT * 3 / 2 / line.length());
        String lines = line.repeat(count);
        HttpResponse<String> r = api.send(api.request("/v1/batch").header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(
                        lines.getBytes(StandardCharsets.UTF_8)))));
        long written = api.entriesOf("chunked-over");
        assertThat(r.statusCode() == 413 && written > 0)
                .as("answered %s %s after writing %d lines", r.statusCode(), r.body(), written).isFalse();

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode summary = JSON.readTree(r.body());
        long fitting = BATCH_LIMIT / line.length();
        assertThat(written).as("every line that ends within the limit, and no other").isEqualTo(fitting);
        assertThat(summary.get("accepted").asLong()).isEqualTo(written);
        assertThat(summary.get("complete").asBoolean()).isFalse();
        assertThat(summary.get("resendFromLine").asLong()).isEqualTo(fitting + 1);
        JsonNode last = summary.get("errors").get(summary.get("errors").size() - 1);
        assertThat(last.get("line").asLong()).isEqualTo(fitting + 1);
        assertThat(last.get("status").asInt()).isEqualTo(413);
        assertThat(last.get("detail").asText()).contains("api-max-batch-bytes")
                .contains("send them again from line " + (fitting + 1));
    }

    @Test
    void aBatchWithinTheLimit_isComplete() throws Exception {
        HttpResponse<String> r = api.post("/v1/batch", "{\"op\":\"incr\",\"counter\":\"within\"}\n".repeat(3),
                "application/x-ndjson");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode summary = JSON.readTree(r.body());
        assertThat(summary.get("accepted").asLong()).isEqualTo(3);
        assertThat(summary.get("complete").asBoolean()).isTrue();
        assertThat(summary.has("resendFromLine")).isFalse();
    }

    private static String statusLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            line.write(b);
        }
        return line.toString(StandardCharsets.US_ASCII).strip();
    }
}
