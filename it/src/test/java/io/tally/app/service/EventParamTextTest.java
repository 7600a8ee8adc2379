package io.tally.app.service;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamRangeArgs;
import org.redisson.client.codec.StringCodec;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Event parameters are kept as the text the client sent, numbers included: {@code 1e400} is not turned into
 * {@code Infinity}, {@code 1e2} into {@code 100.0}, nor {@code 1.10} into {@code 1.1}; alone and in a batch.
 */
class EventParamTextTest {
    private static final String NUMBERS = "{\"big\":1e400,\"sci\":1e2,\"dec\":1.10,\"neg\":-2.5E-3,\"int\":42}";

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(4);

    @Test
    void eventNumberParams_areKeptAsSent() throws Exception {
        HttpResponse<String> r = api.post("/v1/events", "{\"type\":\"num-text\",\"params\":" + NUMBERS + "}",
                "application/json");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertKeptAsSent(entry("num-text"));
    }

    @Test
    void eventNumberParams_inABatchLine_areKeptAsSent() throws Exception {
        HttpResponse<String> r = api.post("/v1/batch", "{\"type\":\"num-text-batch\",\"params\":"
                + NUMBERS + "}\n", "application/x-ndjson");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertKeptAsSent(entry("num-text-batch"));
    }

    private static void assertKeptAsSent(Map<String, String> entry) {
        assertThat(List.of(entry.get("p.big"), entry.get("p.sci"), entry.get("p.dec"), entry.get("p.neg"),
                entry.get("p.int"))).containsExactly("1e400", "1e2", "1.10", "-2.5E-3", "42");
    }

    /** The first entry of the event type's stream with that type. */
    private static Map<String, String> entry(String type) {
        return api.redis().<String, String>getStream(api.keys().events(api.partitionOf(type)), StringCodec.INSTANCE)
                .range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX)).values().stream()
                .filter(fields -> type.equals(fields.get("type"))).findFirst().orElseThrow();
    }
}
