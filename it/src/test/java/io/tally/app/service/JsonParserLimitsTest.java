package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A body past one of the JSON reader's limits (nesting deeper than 1000, a number of more than 1000 digits, a key
 * of more than 50,000 characters) is a 400 that names the limit in plain words and no Java class or method
 * (docs/api.md: "A body never carries a Java class"); the same for a line of a batch.
 */
class JsonParserLimitsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(4);

    @Test
    void nestingDeeperThan1000_is400NamingTheLimit_andNoJavaClass() throws Exception {
        // objects, not arrays: a body that does not start with '{' is refused before the JSON reader sees it
        assertPlain400(api.post("/v1/counters/limits/incr", "{\"a\":".repeat(1001) + "1" + "}".repeat(1001)),
                "nested deeper than 1000 levels");
    }

    @Test
    void aNumberOfMoreThan1000Digits_is400NamingTheLimit_andNoJavaClass() throws Exception {
        assertPlain400(api.post("/v1/counters/limits/incr", "{\"by\":" + "9".repeat(1001) + "}"),
                "a number longer than 1000 digits");
    }

    @Test
    void aKeyOfMoreThan50000Characters_is400NamingTheLimit_andNoJavaClass() throws Exception {
        assertPlain400(api.post("/v1/counters/limits/incr", "{\"" + "k".repeat(50_001) + "\":1}"),
                "a key longer than 50000 characters");
    }

    @Test
    void aBatchLinePastALimit_failsAloneNamingTheLimit_andNoJavaClass() throws Exception {
        HttpResponse<String> r = api.post("/v1/batch", "{\"op\":\"incr\",\"counter\":\"limits\",\"by\":"
                + "9".repeat(1001) + "}\n{\"op\":\"incr\",\"counter\":\"limits\"}\n", "application/x-ndjson");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode summary = JSON.readTree(r.body());
        assertThat(summary.get("accepted").asLong()).isEqualTo(1);
        JsonNode error = summary.get("errors").get(0);
        assertThat(error.get("status").asInt()).isEqualTo(400);
        assertThat(error.get("detail").asText()).contains("line 1").contains("a number longer than 1000 digits")
                .doesNotContain("StreamReadConstraints").doesNotContain("()");
    }

    private static void assertPlain400(HttpResponse<String> r, String limit) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        String detail = JSON.readTree(r.body()).get("detail").asText();
        assertThat(detail).contains(limit).doesNotContain("StreamReadConstraints").doesNotContain("()")
                .doesNotContain("`");
    }
}
