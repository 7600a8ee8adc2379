package io.tally.app.service;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.client.codec.StringCodec;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code DELETE /v1/counters/{name}} deletes what makes a counter exist, its total and its unique count, so that its
 * answer agrees with {@code GET}: a counter with only unique entries is deleted (204), not answered 404 "does not
 * exist" while {@code GET} answers 200; and a counter deleted with 204 is then 404 to {@code GET}.
 */
class CounterDeleteTest {
    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(4);

    @Test
    void counterWithTotalAndUniqueCount_isGoneAfterA204() throws Exception {
        applied("both", "5", "alice");
        assertThat(api.get("/v1/counters/both").body()).contains("\"unique\":1");

        assertThat(api.send("DELETE", "/v1/counters/both", null).statusCode()).isEqualTo(204);
        HttpResponse<String> after = api.get("/v1/counters/both");
        assertThat(after.statusCode()).as(after.body()).isEqualTo(404);
        assertThat(api.redis().getKeys().countExists(hll("both"))).isZero();
    }

    @Test
    void counterWithOnlyUniqueEntries_isDeletedWith204_notAnswered404() throws Exception {
        applied("only-unique", null, "bob");
        HttpResponse<String> before = api.get("/v1/counters/only-unique");
        assertThat(before.statusCode()).as(before.body()).isEqualTo(200);

        HttpResponse<String> deleted = api.send("DELETE", "/v1/counters/only-unique", null);
        assertThat(deleted.statusCode()).as("a counter GET answers 200 exists: " + deleted.body()).isEqualTo(204);
        assertThat(api.get("/v1/counters/only-unique").statusCode()).isEqualTo(404);
        assertThat(api.send("DELETE", "/v1/counters/only-unique", null).statusCode()).isEqualTo(404);
    }

    /** The state a processor leaves after applying a total (when not null) and a unique member. */
    private static void applied(String counter, String total, String member) {
        if (total != null) {
            api.redis().getMap(api.keys().counters(api.partitionOf(counter)), StringCodec.INSTANCE).put(counter, total);
        }
        api.redis().getHyperLogLog(hll(counter), StringCodec.INSTANCE).add(member);
    }

    private static String hll(String counter) {
        return api.keys().hll(api.partitionOf(counter), counter);
    }
}
