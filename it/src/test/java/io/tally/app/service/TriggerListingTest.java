package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.common.config.TallyConfig;
import io.tally.producer.ProducerMetrics;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /v1/triggers} answers a page of at most {@code limit} triggers (default 100, at most 1000) and a
 * cursor: one request's work and answer follow the limit, not the number of triggers; following the cursors
 * lists every trigger once.
 */
@ExtendWith(RealRedisExtension.class)
class TriggerListingTest {
    private static final String TOKEN = "trigger-listing-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TRIGGERS = 150;

    private static RedissonClient redis;
    private static ApiServer server;
    private static final Set<String> created = new HashSet<>();
    private static final Set<String> canceled = new HashSet<>();

    @BeforeAll
    static void start(TestRedis testRedis) throws Exception {
        redis = testRedis.client();
        TallyConfig config = testRedis.config(4).set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1")
                .set(TallyConfig.API_TOKENS, TOKEN).build();
        server = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP, ServiceMetrics.newRegistry());
        for (int i = 0; i < TRIGGERS; i++) {
            HttpResponse<String> r = send("POST", "/v1/triggers",
                    "{\"kind\":\"event\",\"eventType\":\"listed-" + (i % 13) + "\",\"match\":{\"n\":\"" + i + "\"}}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            String id = JSON.readTree(r.body()).get("id").asText();
            created.add(id);
            if (i % 10 == 0) {
                assertThat(send("DELETE", "/v1/triggers/" + id, null).statusCode()).isEqualTo(200);
                canceled.add(id);
            }
        }
    }

    @AfterAll
    static void stop() {
        server.close();
        redis.shutdown();
    }

    @Test
    void oneRequest_answersAtMostTheDefaultLimitOf100() throws Exception {
        HttpResponse<String> r = send("GET", "/v1/triggers", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.get("triggers").size()).isLessThanOrEqualTo(100);
        assertThat(body.hasNonNull("cursor")).as("more than 100 triggers: a cursor to go on").isTrue();
    }

    @Test
    void followingTheCursors_listsEveryTriggerOnce_inPagesOfAtMostTheLimit() throws Exception {
        assertThat(listAll("", 7)).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(created);
    }

    @Test
    void theStatusFilter_appliesAcrossPages() throws Exception {
        assertThat(listAll("&status=canceled", 4)).containsExactlyInAnyOrderElementsOf(canceled);
    }

    @Test
    void aLimitPastTheMaximumOrACursorNotGiven_is400NamingIt() throws Exception {
        HttpResponse<String> r = send("GET", "/v1/triggers?limit=1001", null);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).get("field").asText()).isEqualTo("limit");
        r = send("GET", "/v1/triggers?cursor=bm90LWEtY3Vyc29y", null);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).get("field").asText()).isEqualTo("cursor");
    }

    private static List<String> listAll(String filters, int limit) throws Exception {
        List<String> ids = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            HttpResponse<String> r = send("GET", "/v1/triggers?limit=" + limit + filters
                    + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)), null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(r.body());
            assertThat(body.get("triggers").size()).isLessThanOrEqualTo(limit);
            body.get("triggers").forEach(t -> ids.add(t.get("id").asText()));
            cursor = body.hasNonNull("cursor") ? body.get("cursor").asText() : null;
            assertThat(++pages).as("pages").isLessThan(1000);
        } while (cursor != null);
        return ids;
    }

    private static HttpResponse<String> send(String method, String path, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json");
        b.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
