package io.tally.app.service;

import io.tally.app.service.RawHttp.Reply;
import io.tally.common.config.TallyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.Socket;

import static io.tally.app.service.RawHttp.drainUntilClosed;
import static io.tally.app.service.RawHttp.readOrClosed;
import static io.tally.app.service.RawHttp.write;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Empty lines before a request line are skipped by HTTP/1.1 parsers, but they are bytes of the request to come:
 * {@code api-request-read-timeout-ms} runs from the first of them, and further ones do not postpone it. A client
 * sending "\r\n" every 300 ms, below the connection limit, is closed once the timeout (here 1 s) has passed, not
 * kept for as long as it sends. One empty line after a request (old clients sent one after a POST body) does not
 * start the next request's clock: the connection is still served after waiting longer than the timeout.
 */
class ReadDeadlineEmptyLinesTest {
    private static final String LIVE = "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(1)
            .with(TallyConfig.API_REQUEST_READ_TIMEOUT_MS, 1000);

    @Test
    void emptyLinesBelowTheLimit_areCutAtTheReadTimeout() throws Exception {
        try (EmptyLines emptyLines = EmptyLines.open(api.port(), 1)) {
            Socket s = emptyLines.sockets().get(0);
            s.setSoTimeout(4_000); // the timeout, a sweep, and room for a busy host
            long opened = System.nanoTime();
            drainUntilClosed(s); // a SocketTimeoutException if the server kept it open
            assertThat((System.nanoTime() - opened) / 1_000_000).as("closed after the read timeout")
                    .isGreaterThanOrEqualTo(900);
        }
    }

    @Test
    void oneEmptyLineAfterARequest_doesNotStartTheNextOnesClock() throws Exception {
        try (Socket s = new Socket("127.0.0.1", api.port())) {
            s.setSoTimeout(10_000);
            for (int i = 0; i < 2; i++) {
                write(s, LIVE);
                assertThat(readOrClosed(s).status()).isEqualTo(200);
                Thread.sleep(500); // the sweep has seen the answer end: the empty line comes after the boundary
                write(s, "\r\n");
                Thread.sleep(1_500);
            }
            write(s, LIVE);
            Reply reply = readOrClosed(s);
            assertThat(reply.status()).as("%s", reply).isEqualTo(200);
        }
    }
}
