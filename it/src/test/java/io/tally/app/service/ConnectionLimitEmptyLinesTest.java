package io.tally.app.service;

import io.tally.app.service.RawHttp.Reply;
import io.tally.common.config.TallyConfig;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.tally.app.service.RawHttp.drainUntilClosed;
import static io.tally.app.service.RawHttp.readOrClosed;
import static io.tally.app.service.RawHttp.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * At {@code api-max-connections}, connections that send only empty lines ("\r\n" every 300 ms, which HTTP/1.1
 * parsers skip before a request line) are idle between requests however often they send them: they are closed
 * like silent ones, and a new client that waited in the accept backlog is answered within seconds. Counted from
 * the connection's last byte, they were never idle, and held every slot for as long as they kept sending. A
 * keep-alive client with a token that sends a whole request each second meanwhile keeps its connection (without a
 * token, an answer at the limit closes its connection: ConnectionLimitTokenlessClientsTest).
 */
class ConnectionLimitEmptyLinesTest {
    private static final int LIMIT = 8; // the least api-max-connections takes
    private static final String LIVE = "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";
    /** The same with a token, which /health/live does not need, but which keeps a connection at the limit. */
    private static final String LIVE_WITH_TOKEN = "GET /health/live HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + ApiServerFixture.TOKEN + "\r\n\r\n";

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(1)
            .with(TallyConfig.API_MAX_CONNECTIONS, LIMIT);

    @Test
    void emptyLineConnectionsAtTheLimit_areClosed_andANewClientIsAnswered() throws Exception {
        ServerConnector connector = api.server().connector();
        AtomicBoolean stop = new AtomicBoolean();
        try (Socket keepAlive = connect()) {
            CompletableFuture<List<Integer>> keptAlive = CompletableFuture.supplyAsync(
                    () -> requestEachSecond(keepAlive, stop));
            try (EmptyLines emptyLines = EmptyLines.open(api.port(), LIMIT - 1)) {
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> connector.getConnectedEndPoints().size() == LIMIT);
                Thread.sleep(2_000); // longer than a connection idle between requests is kept at the limit

                long asked = System.nanoTime();
                try (Socket newcomer = connect()) {
                    write(newcomer, LIVE);
                    Reply reply = readOrClosed(newcomer);
                    long tookMs = (System.nanoTime() - asked) / 1_000_000;
                    assertThat(reply.status()).as("a client waiting behind empty-line connections: %s after %d ms",
                            reply, tookMs).isEqualTo(200);
                    assertThat(tookMs).isLessThan(5_000);
                }
                for (Socket s : emptyLines.sockets()) {
                    drainUntilClosed(s); // a SocketTimeoutException if the server kept it open
                }
            }
            Thread.sleep(2_000);
            stop.set(true);
            List<Integer> statuses = keptAlive.join();
            assertThat(statuses).as("every answer on the one keep-alive connection").hasSizeGreaterThanOrEqualTo(5)
                    .containsOnly(200);
        }
    }

    /** Sends a whole request each second on {@code s} until {@code stop}; the statuses, -1 for none. */
    private static List<Integer> requestEachSecond(Socket s, AtomicBoolean stop) {
        List<Integer> statuses = new ArrayList<>();
        try {
            long next = System.nanoTime();
            while (!stop.get()) {
                write(s, LIVE_WITH_TOKEN);
                int status = readOrClosed(s).status();
                statuses.add(status);
                if (status != 200) {
                    break;
                }
                next += 1_000_000_000L;
                Thread.sleep(Math.max(0, (next - System.nanoTime()) / 1_000_000));
            }
        } catch (Exception e) {
            statuses.add(-1);
        }
        return statuses;
    }

    private static Socket connect() throws Exception {
        Socket s = new Socket("127.0.0.1", api.port());
        s.setSoTimeout(10_000);
        return s;
    }
}
