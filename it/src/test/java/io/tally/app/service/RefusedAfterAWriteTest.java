package io.tally.app.service;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A send whose script Redis stops part-way, after its XADD (the service's user may XADD but not a command the
 * script runs later: NOPERM), has written the entry: the answer must not be a 503, which says nothing was written.
 */
class RefusedAfterAWriteTest {
    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onOwnRedisServer(1);

    @Test
    void aSendRefusedACommandAfterItsXadd_isNotAnswered503NothingWritten() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        List<String> untrue = new ArrayList<>();
        for (String command : new String[]{"pexpireat", "hrandfield", "hset", "set"}) {
            String counter = "half-" + command;
            HttpRequest send = api.request("/v1/counters/" + counter + "/incr").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"op-" + counter + "\"}")).build();
            api.redisServer().cli("ACL", "SETUSER", "default", "-" + command);
            HttpResponse<String> first;
            try {
                first = client.send(send, HttpResponse.BodyHandlers.ofString());
            } finally {
                api.redisServer().cli("ACL", "SETUSER", "default", "+@all");
            }
            long written = api.entriesOf(counter);
            if (first.statusCode() == 503 && written > 0) {
                untrue.add(command + ": 503 '" + first.body() + "' with " + written + " entry written; the retry: "
                        + client.send(send, HttpResponse.BodyHandlers.ofString()).body() + ", entries now "
                        + api.entriesOf(counter));
            }
        }
        assertThat(untrue).as("503s (nothing written) for sends that were written").isEmpty();
    }

    /** trigger_create.lua's first write is the definition's HSET; its HINCRBY of the count comes after it. */
    @Test
    void aTriggerCreateRefusedACommandAfterItsFirstWrite_is503AndWritesNothing_thenCreatesItOnce() throws Exception {
        String triggers = api.keys().triggers(0);
        String body = "{\"kind\":\"event\",\"eventType\":\"refused-after-a-write\"}";
        api.redisServer().cli("ACL", "SETUSER", "default", "-hincrby");
        HttpResponse<String> refused;
        try {
            refused = api.post("/v1/triggers", body);
        } finally {
            api.redisServer().cli("ACL", "SETUSER", "default", "+@all");
        }
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        assertThat(refused.body()).contains("\"reason\":\"no_permission\"").contains("nothing was written");
        assertThat(api.redisServer().cli("EXISTS", triggers).strip()).as("the triggers hash").isEqualTo("0");

        HttpResponse<String> created = api.post("/v1/triggers", body);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(api.redisServer().cli("HGET", triggers, ":count").strip()).isEqualTo("1");
    }
}
