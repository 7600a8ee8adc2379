package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.common.internal.keys.Keys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.client.codec.StringCodec;

import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Any program may write a partition's input stream. A send to an events stream that another program made a key
 * of another type is answered 502 naming the key (the backlog monitor found it), not a 500, and nothing is
 * written; a send to a stream that is one is accepted.
 */
class SendToForeignStreamTest {
    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(1);

    @Test
    void anEventToAStreamOfAnotherType_is502NamingTheKey_andACounterOpOfThePartitionIsAccepted() throws Exception {
        Keys keys = api.keys();
        api.redis().getKeys().delete(keys.events(0));
        api.redis().getBucket(keys.events(0), StringCodec.INSTANCE).set("junk"); // another program's

        HttpResponse<String>[] last = new HttpResponse[1];
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            last[0] = api.post("/v1/events", "{\"type\":\"click\",\"params\":{}}");
            return last[0].statusCode() != 500 && last[0].statusCode() != 202;
        });

        JsonNode problem = RedisFaultsTest.assertCleanProblem(last[0], 502);
        assertThat(last[0].headers().firstValue("Retry-After")).as("a retry cannot help").isEmpty();
        assertThat(problem.get("reason").asText()).isEqualTo("unreadable_state");
        assertThat(problem.get("key").asText()).isEqualTo(keys.events(0));
        assertThat(problem.get("detail").asText()).contains("the key holds a string, not a stream");
        assertThat(api.redis().getBucket(keys.events(0), StringCodec.INSTANCE).get()).isEqualTo("junk");
        assertThat(api.post("/v1/counters/c/incr", "{\"by\":1}").statusCode()).isEqualTo(202);
    }
}
