package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
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
 * {@code GET /v1/triggers} answers a page of about {@code limit} triggers, at most twice it (default 100, at most 1000), and a
 * cursor: one request's work and answer follow the limit, not the number of triggers; following the cursors
 * lists every trigger once.
 */
class TriggerListingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TRIGGERS = 150;

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(4);

    private static final Set<String> created = new HashSet<>();
    private static final Set<String> canceled = new HashSet<>();

    @BeforeAll
    static void storeTriggers() throws Exception {
        for (int i = 0; i < TRIGGERS; i++) {
            HttpResponse<String> r = api.post("/v1/triggers",
                    "{\"kind\":\"event\",\"eventType\":\"listed-" + (i % 13) + "\",\"match\":{\"n\":\"" + i + "\"}}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            String id = JSON.readTree(r.body()).get("id").asText();
            created.add(id);
            if (i % 10 == 0) {
                assertThat(api.send("DELETE", "/v1/triggers/" + id, null).statusCode()).isEqualTo(200);
                canceled.add(id);
            }
        }
    }

    @Test
    void oneRequest_answersAboutTheDefaultLimitOf100_atMostTwiceIt() throws Exception {
        HttpResponse<String> r = api.get("/v1/triggers");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.get("triggers").size()).isBetween(1, 200);
        assertThat(body.hasNonNull("cursor")).as("more than 100 triggers: a cursor to go on").isTrue();
    }

    @Test
    void followingTheCursors_listsEveryTriggerOnce_inPagesOfAtMostTwiceTheLimit() throws Exception {
        assertThat(listAll("", 7)).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(created);
    }

    @Test
    void theStatusFilter_appliesAcrossPages() throws Exception {
        assertThat(listAll("&status=canceled", 4)).containsExactlyInAnyOrderElementsOf(canceled);
    }

    @Test
    void aLimitPastTheMaximumOrACursorNotGiven_is400NamingIt() throws Exception {
        HttpResponse<String> r = api.get("/v1/triggers?limit=1001");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).get("field").asText()).isEqualTo("limit");
        r = api.get("/v1/triggers?cursor=bm90LWEtY3Vyc29y");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).get("field").asText()).isEqualTo("cursor");
    }

    private static List<String> listAll(String filters, int limit) throws Exception {
        List<String> ids = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            HttpResponse<String> r = api.get("/v1/triggers?limit=" + limit + filters
                    + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(r.body());
            assertThat(body.get("triggers").size()).as("about the limit, at most twice it").isLessThanOrEqualTo(2 * limit);
            body.get("triggers").forEach(t -> ids.add(t.get("id").asText()));
            cursor = body.hasNonNull("cursor") ? body.get("cursor").asText() : null;
            assertThat(++pages).as("pages").isLessThan(1000);
        } while (cursor != null);
        return ids;
    }
}
