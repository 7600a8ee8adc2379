package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The error entries of a {@code POST /v1/batch} answer are bounded whatever a line echoes: a failed line's entry
 * cuts its {@code detail} and {@code field} ({@link BatchRoutes#MAX_ENTRY_CHARS}), so that 1000 failed lines of
 * 40 KB cost a few hundred KB of answer, not twice the body held in the heap until it is written.
 */
class BatchErrorEntriesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LONG = "x".repeat(30_000);

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(4);

    @Test
    void linesEchoingLongText_failWithEntriesCutToTheirBound_andTheAnswerStaysSmall() throws Exception {
        String[] echoing = {
            "{\"op\":\"incr\",\"counter\":\"echo\",\"" + LONG + "\":1}",                // unknown field, named twice
            "{\"op\":\"" + LONG + "\",\"counter\":\"echo\"}",                            // unknown operation
            "{\"type\":\"click\",\"params\":{\"" + LONG + "\":[1]}}",                   // parameter of another type
            "{\"op\":\"incr\",\"counter\":\"echo\",\"windows\":\"" + LONG + "," + LONG + "\"}", // window named twice
        };
        StringBuilder body = new StringBuilder();
        int lines = 200;
        for (int i = 0; i < lines; i++) {
            body.append(echoing[i % echoing.length]).append('\n');
        }
        HttpResponse<String> r = api.post("/v1/batch", body.toString(), "application/x-ndjson");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body().length()).as("answer of %d failed lines of 30 KB", lines).isLessThan(lines * 1000);
        JsonNode summary = JSON.readTree(r.body());
        assertThat(summary.get("failed").asLong()).isEqualTo(lines);
        assertThat(summary.get("errors")).hasSize(lines);
        for (JsonNode e : summary.get("errors")) {
            assertThat(e.get("status").asInt()).isEqualTo(400);
            assertThat(e.get("detail").asText()).hasSizeLessThanOrEqualTo(BatchRoutes.MAX_ENTRY_CHARS);
            if (e.has("field")) {
                assertThat(e.get("field").asText()).hasSizeLessThanOrEqualTo(BatchRoutes.MAX_ENTRY_CHARS);
            }
        }
        assertThat(summary.get("errors").get(0).get("detail").asText()).startsWith("unknown field 'xxx").endsWith("...");
        assertThat(summary.get("errors").get(1).get("detail").asText()).startsWith("unknown operation 'xxx");
        assertThat(api.entriesOf("echo")).isZero();
    }

    @Test
    void shortDetails_areKeptWhole() throws Exception {
        HttpResponse<String> r = api.post("/v1/batch", "{\"op\":\"incr\",\"counter\":\"kept\",\"vaule\":1}\n",
                "application/x-ndjson");
        JsonNode entry = JSON.readTree(r.body()).get("errors").get(0);
        assertThat(entry.get("field").asText()).isEqualTo("vaule");
        assertThat(entry.get("detail").asText()).isEqualTo("unknown field 'vaule'; allowed: by, id, ts, windows");
    }
}
