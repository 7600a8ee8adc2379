package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.client.codec.StringCodec;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /v1/counters} pages through the namespace with a cursor: the work of one request follows its
 * {@code limit}, not the number of counters, and following the cursors lists every counter.
 */
class CounterListingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PARTITIONS = 4;

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onOwnRedisServer(PARTITIONS);

    @AfterEach
    void deleteCounters() {
        for (int p = 0; p < PARTITIONS; p++) {
            api.redis().getMap(api.keys().counters(p), StringCodec.INSTANCE).delete();
        }
    }

    @Test
    void listingOneCounter_doesNotScanEveryCounterOfTheNamespace() throws Exception {
        fill("many:", 25_000);
        api.redisServer().cli("CONFIG", "RESETSTAT");
        HttpResponse<String> r = api.get("/v1/counters?limit=1");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        // HSCAN COUNT 1 returns one hash bucket, taken whole: about one counter
        assertThat(JSON.readTree(r.body()).get("counters")).hasSizeBetween(1, 2);
        assertThat(hscanCalls()).as("HSCAN calls for one counter of 100,000").isLessThanOrEqualTo(20);
    }

    @Test
    void followingTheCursors_listsEveryCounterOfThePrefixOnce_inPagesOfAtMostTwiceTheLimit() throws Exception {
        fill("page:", 600); // hash tables (past the listpack size), so HSCAN COUNT matters
        fill("other:", 50);
        List<String> names = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            String query = "/v1/counters?prefix=page:&limit=7"
                    + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
            HttpResponse<String> r = api.get(query);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(r.body());
            assertThat(body.get("counters").size()).as("about the limit, at most twice it").isLessThanOrEqualTo(14);
            body.get("counters").forEach(c -> names.add(c.get("name").asText()));
            cursor = body.hasNonNull("cursor") ? body.get("cursor").asText() : null;
            assertThat(++pages).as("pages").isLessThan(1000);
        } while (cursor != null);
        Set<String> expected = new HashSet<>();
        for (int p = 0; p < PARTITIONS; p++) {
            for (int i = 0; i < 600; i++) {
                expected.add("page:" + p + ":" + i);
            }
        }
        assertThat(names).doesNotHaveDuplicates();
        assertThat(new HashSet<>(names)).isEqualTo(expected);
    }

    @Test
    void aCursorNotGivenByTheService_is400NamingCursor() throws Exception {
        HttpResponse<String> r = api.get("/v1/counters?cursor=bm90LWEtY3Vyc29y");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).get("field").asText()).isEqualTo("cursor");
    }

    @Test
    void limitPastTheMaximum_is400NamingLimit() throws Exception {
        HttpResponse<String> r = api.get("/v1/counters?limit=10001");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).get("field").asText()).isEqualTo("limit");
    }

    /** {@code perPartition} counters {@code <prefix><partition>:<i>} in every partition's hash. */
    private static void fill(String prefix, int perPartition) {
        for (int p = 0; p < PARTITIONS; p++) {
            Map<String, String> values = new HashMap<>();
            for (int i = 0; i < perPartition; i++) {
                values.put(prefix + p + ":" + i, "1");
            }
            api.redis().<String, String>getMap(api.keys().counters(p), StringCodec.INSTANCE).putAll(values, 5000);
        }
    }

    private static long hscanCalls() {
        return api.redisServer().cli("INFO", "commandstats").lines().filter(l -> l.startsWith("cmdstat_hscan:")).findFirst()
                .map(l -> Long.parseLong(l.replaceAll("^cmdstat_hscan:calls=(\\d+),.*$", "$1"))).orElse(0L);
    }
}
