package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.client.codec.StringCodec;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A listing cursor is client input: no COUNT is read from it (a page's calls ask for the room the page has left),
 * so no forged cursor makes a page cost more than its limit documents, nor is one handed back. Cursors of earlier
 * versions that stopped inside an HSCAN call are accepted: that call is made again and taken whole.
 */
class ForgedCursorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PARTITIONS = 4;

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onOwnRedisServer(PARTITIONS);

    @Test
    void forgedCursorCount_isNotUsedForTheCounterScan_andNotHandedBack() throws Exception {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < 20_000; i++) {
            values.put("c" + i, "1");
        }
        api.redis().<String, String>getMap(api.keys().counters(0), StringCodec.INSTANCE).putAll(values, 5000);
        String forged = cursor("0:0:1000000");
        resetSlowlog();
        HttpResponse<String> r = api.get("/v1/counters?limit=1&cursor=" + URLEncoder.encode(forged, StandardCharsets.UTF_8));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        String log = api.redisServer().cli("SLOWLOG", "GET", "1000");
        JsonNode body = JSON.readTree(r.body());
        String handedBack = body.hasNonNull("cursor") ? decode(body.get("cursor").asText()) : "";
        // documented: one page costs at most 16 HSCAN calls of COUNT at most its limit
        assertThat(log).as("HSCAN of a page with limit=1 (slowlog)").doesNotContain("1000000");
        assertThat(handedBack).as("cursor handed back").doesNotContain(":1000000");
    }

    @Test
    void forgedCursorCount_isNotUsedForTheTriggerScan() throws Exception {
        String forged = cursor("0:0:1000000");
        resetSlowlog();
        HttpResponse<String> r = api.get("/v1/triggers?limit=1&cursor=" + URLEncoder.encode(forged, StandardCharsets.UTF_8));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        String log = api.redisServer().cli("SLOWLOG", "GET", "1000");
        // documented: at most 16 script calls of about the room the page has left (COUNT 4 for limit 1)
        assertThat(log).as("trigger_list call of a page with limit=1 (slowlog)").doesNotContain("1000000");
    }

    @Test
    void cursorsOfEarlierVersionsFromInsideACall_areAccepted_andTheirCountIsNotUsed() throws Exception {
        api.redis().<String, String>getMap(api.keys().counters(2), StringCodec.INSTANCE).put("old1", "1");
        for (String old : List.of("2:0:1000000:old1", "2:0:100;=0123456789ab:old1", "2:0:100;+0123456789ab:old0")) {
            resetSlowlog();
            HttpResponse<String> r = api.get("/v1/counters?limit=1&cursor="
                    + URLEncoder.encode(cursor(old), StandardCharsets.UTF_8));
            assertThat(r.statusCode()).as(old + ": " + r.body()).isEqualTo(200);
            // the call is made again and taken whole: old1, named up to where that page ended, is listed
            assertThat(JSON.readTree(r.body()).get("counters").toString()).as(old).contains("\"old1\"");
            assertThat(api.redisServer().cli("SLOWLOG", "GET", "1000")).as(old).doesNotContain("1000000");
        }
        HttpResponse<String> bad = api.get("/v1/counters?limit=1&cursor="
                + URLEncoder.encode(cursor("2:0:0:old1"), StandardCharsets.UTF_8));
        assertThat(bad.statusCode()).as(bad.body()).isEqualTo(400);
        assertThat(JSON.readTree(bad.body()).get("field").asText()).isEqualTo("cursor");
    }

    /**
     * Java's number parsers take digits of other scripts, which Redis refuses as an HSCAN cursor: a cursor whose
     * numbers are not ASCII digits is refused as a bad cursor (400 naming it), not sent to Redis to fail as a 500.
     */
    @Test
    void cursorsWithDigitsOtherThanAscii_areRefusedNamingTheCursor() throws Exception {
        for (String path : List.of("/v1/counters", "/v1/triggers")) {
            for (String text : List.of("0:\u0665", "0:\uff15:10", "\u0661:0:10", "0:0:\u0665", "0:+5:10", "0:-0:10",
                    "0:000000000000000000001:10", "0:18446744073709551616:10")) {
                HttpResponse<String> r = api.get(path + "?limit=1&cursor="
                        + URLEncoder.encode(cursor(text), StandardCharsets.UTF_8));
                assertThat(r.statusCode()).as(path + " " + text + ": " + r.body()).isEqualTo(400);
                assertThat(JSON.readTree(r.body()).get("field").asText()).as(path + " " + text).isEqualTo("cursor");
            }
        }
    }

    private static void resetSlowlog() {
        api.redisServer().cli("CONFIG", "SET", "slowlog-log-slower-than", "0");
        api.redisServer().cli("CONFIG", "SET", "slowlog-max-len", "1000");
        api.redisServer().cli("SLOWLOG", "RESET");
    }

    private static String cursor(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(String cursor) {
        return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    }
}
