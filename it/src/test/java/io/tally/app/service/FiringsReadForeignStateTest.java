package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.common.internal.keys.Keys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.client.codec.StringCodec;

import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Any program may write a partition's firings key. {@code GET /v1/firings} over a partition whose {@code firings}
 * holds another type cannot say which firings are the newest: it answers 502 naming the key, never a 500 nor a
 * list silently missing that partition's firings.
 */
class FiringsReadForeignStateTest {
    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(2);

    @Test
    void aFiringsKeyOfAnotherType_is502NamingTheKey_andTheListIsBackOnceItIsDeleted() throws Exception {
        Keys keys = api.keys();
        api.redis().<String, String>getStream(keys.firings(1), StringCodec.INSTANCE).add(StreamAddArgs.entries(Map.of(
                "firing_id", "t1-01ARZ3NDEKTSV4RRFFQ69G5FAV:1-1", "trigger", "t1-01ARZ3NDEKTSV4RRFFQ69G5FAV",
                "kind", "event", "cause", "1-1", "fired_at", "1700000000000")));
        api.redis().getBucket(keys.firings(0), StringCodec.INSTANCE).set("junk"); // another program's

        HttpResponse<String> r = api.get("/v1/firings?limit=10");

        JsonNode problem = RedisFaultsTest.assertCleanProblem(r, 502);
        assertThat(r.headers().firstValue("Retry-After")).as("a retry cannot help").isEmpty();
        assertThat(problem.get("title").asText()).isEqualTo("Stored state unreadable");
        assertThat(problem.get("reason").asText()).isEqualTo("unreadable_state");
        assertThat(problem.get("key").asText()).isEqualTo(keys.firings(0));
        assertThat(problem.get("detail").asText()).contains("the key is not a stream").contains(keys.firings(0))
                .contains("repair or delete that key");

        api.redis().getBucket(keys.firings(0)).delete();
        HttpResponse<String> again = api.get("/v1/firings?limit=10");
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).contains("t1-01ARZ3NDEKTSV4RRFFQ69G5FAV:1-1");
    }
}
