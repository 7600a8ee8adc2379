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
}
