package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tally.producer.triggers.TriggerClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /v1/triggers?limit=1000} over triggers at the {@code match} and {@code params} caps: each page holds
 * about 1 MiB of them (at most twice that) ({@link TriggerClient#MAX_PAGE_BYTES}), not 1,000 (some 10 MB), and following the cursors
 * lists every trigger exactly once.
 */
class TriggerListingLargeDefinitionsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TRIGGERS = 250;

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(2);

    /** An event trigger with match and params at their byte caps (some 10 KB as JSON). */
    private static String largest(int i) {
        ObjectNode def = JSON.createObjectNode().put("kind", "event").put("eventType", "big" + (i % 5));
        def.putObject("match").put("k0", "x".repeat(1000) + i).put("k1", "y".repeat(1000));
        ObjectNode params = def.putObject("params");
        for (int j = 0; j < 8; j++) {
            params.put("p" + j, "z".repeat(1000));
        }
        return def.toString();
    }

    @Test
    void pagesHoldAboutAMebibyteOfTriggers_andTheCursorsListEveryTriggerOnce() throws Exception {
        Set<String> created = new HashSet<>();
        for (int i = 0; i < TRIGGERS; i++) {
            HttpResponse<String> r = api.post("/v1/triggers", largest(i));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            created.add(JSON.readTree(r.body()).get("id").asText());
        }

        List<String> listed = new ArrayList<>();
        List<Integer> pageSizes = new ArrayList<>();
        String cursor = null;
        do {
            HttpResponse<String> r = api.get("/v1/triggers?limit=1000"
                    + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            // the stored fields are at most 1 MiB; the answer adds the JSON names of the state fields
            // about 1 MiB; never twice it (docs/triggers.md)
            assertThat(r.body().getBytes(StandardCharsets.UTF_8).length).isLessThan(2 * TriggerClient.MAX_PAGE_BYTES + 40_000);
            JsonNode body = JSON.readTree(r.body());
            pageSizes.add(body.get("triggers").size());
            body.get("triggers").forEach(t -> listed.add(t.get("id").asText()));
            cursor = body.hasNonNull("cursor") ? body.get("cursor").asText() : null;
            assertThat(pageSizes).as("pages").hasSizeLessThan(50);
        } while (cursor != null);

        assertThat(listed).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(created);
        // some 2.5 MB: three pages of about 100 triggers of ~10 KB (a page passes 1 MiB only by a few)
        assertThat(pageSizes).hasSizeBetween(3, 4).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(200));
        assertThat(pageSizes.get(0)).as("triggers of the first page").isBetween(90, 120);
    }
}
