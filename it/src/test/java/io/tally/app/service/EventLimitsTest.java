package io.tally.app.service;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamRangeArgs;
import org.redisson.client.codec.StringCodec;

import java.net.http.HttpResponse;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An event past the wire format's parameter limit (100) is refused at the door with a 400 naming the
 * limit, alone and as a line of a batch; nothing of it is written, and every other line of the batch is.
 */
class EventLimitsTest {
    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(4);

    private static String params(int n) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        return sb.append('}').toString();
    }

    @Test
    void anEventWith4100Params_is400NamingTheLimit_andNothingIsWritten() throws Exception {
        HttpResponse<String> r = api.post("/v1/events", "{\"type\":\"wide\",\"params\":" + params(4100) + "}", "application/json");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("\"reason\":\"too_many_params\"").contains("more than 100 parameters");
        assertThat(events("wide")).isZero();

        assertThat(api.post("/v1/events", "{\"type\":\"wide\",\"params\":" + params(100) + "}", "application/json").statusCode())
                .isEqualTo(202);
        assertThat(events("wide")).isEqualTo(1);
    }

    @Test
    void inABatch_theOverlongEventFailsAlone_andEveryOtherLineIsWrittenAndReported() throws Exception {
        String ndjson = "{\"type\":\"batch-wide\",\"params\":" + params(4100) + "}\n"
                + "{\"type\":\"batch-wide\",\"params\":{\"a\":\"b\"}}\n"
                + "{\"op\":\"incr\",\"counter\":\"after-wide\"}\n";
        HttpResponse<String> r = api.post("/v1/batch", ndjson, "application/x-ndjson");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"lines\":3").contains("\"accepted\":2").contains("\"failed\":1")
                .contains("{\"line\":1,\"status\":400");
        assertThat(events("batch-wide")).isEqualTo(1);
        Map<StreamMessageId, Map<String, String>> ops = api.redis().<String, String>getStream(
                api.keys().ops(api.partitionOf("after-wide")), StringCodec.INSTANCE)
                .range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX));
        assertThat(ops.values()).contains(Map.of("op", "incr", "counter", "after-wide", "by", "1"));
    }

    private static long events(String type) {
        return api.redis().<String, String>getStream(api.keys().events(api.partitionOf(type)), StringCodec.INSTANCE)
                .range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX)).values().stream()
                .filter(f -> type.equals(f.get("type"))).count();
    }
}
