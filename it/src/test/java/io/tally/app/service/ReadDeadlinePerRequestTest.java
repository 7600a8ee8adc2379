package io.tally.app.service;

import io.tally.app.service.RawHttp.Reply;
import io.tally.common.config.TallyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.Socket;

import static io.tally.app.service.RawHttp.readOrClosed;
import static io.tally.app.service.RawHttp.write;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * api-request-read-timeout-ms bounds one request, "from a request's first byte to its last" (docs/api.md): a
 * client that keeps one connection busy with requests that each arrive well within it, back to back, is served
 * however long the connection lives. Each request here takes 150 ms to arrive, against a 1 s timeout, over about
 * 4 s of one keep-alive connection: between two of them the connection waits for no more than the answer, so a
 * deadline that ran from the first request the connection was seen part-way through, not from this one's first
 * byte, cuts a request off that arrived within its bound (the connection closed without an answer while its
 * headers arrive; a body told that it did not arrive within the timeout).
 */
class ReadDeadlinePerRequestTest {
    private static final int REQUESTS = 25;
    private static final long PAUSE_MS = 150;

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(1)
            .with(TallyConfig.API_REQUEST_READ_TIMEOUT_MS, 1000);

    @Test
    void keepAliveRequestsEachWithinTheReadTimeout_areAllAnswered() throws Exception {
        try (Socket s = connect()) {
            long opened = System.nanoTime();
            for (int i = 0; i < REQUESTS; i++) {
                write(s, "GET /health/live HTTP/1.1\r\nHost: x\r\n");
                Thread.sleep(PAUSE_MS);
                write(s, "X-Request: " + i + "\r\n\r\n");
                Reply reply = readOrClosed(s);
                assertThat(reply.status()).as("request %d (arrived in %d ms), %d ms into the connection: %s", i,
                        PAUSE_MS, (System.nanoTime() - opened) / 1_000_000, reply).isEqualTo(200);
            }
        }
    }

    @Test
    void keepAliveBodiesEachWithinTheReadTimeout_areNeverToldTheyPassedIt() throws Exception {
        String body = "{\"kind\":\"event\",\"eventType\":\"\"}"; // refused without a call to Redis: a quick answer
        try (Socket s = connect()) {
            long opened = System.nanoTime();
            for (int i = 0; i < REQUESTS; i++) {
                write(s, "POST /v1/triggers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ApiServerFixture.TOKEN
                        + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n"
                        + body.substring(0, 10));
                Thread.sleep(PAUSE_MS);
                write(s, body.substring(10));
                Reply reply = readOrClosed(s);
                assertThat(reply.body()).as("body %d (arrived in %d ms), %d ms into the connection: %s", i, PAUSE_MS,
                        (System.nanoTime() - opened) / 1_000_000, reply).contains("eventType")
                        .doesNotContain("api-request-read-timeout-ms");
                assertThat(reply.status()).isEqualTo(400);
            }
        }
    }

    private static Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", api.port());
        s.setSoTimeout(10_000);
        return s;
    }
}
