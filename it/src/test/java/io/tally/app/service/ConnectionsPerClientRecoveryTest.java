package io.tally.app.service;

import io.tally.common.config.TallyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;

import static io.tally.app.service.RawHttp.drainUntilClosed;
import static io.tally.app.service.RawHttp.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * api-max-connections-per-client counts an address's open connections: however its connections end, the address
 * gets its whole cap back once they have, and never more than the cap (one more is still refused). Otherwise the
 * one address every request comes through (an ingress proxy) would be refused for ever, one leaked count at a
 * time. Each test ends its connections one way, then checks the address can hold its cap again.
 */
class ConnectionsPerClientRecoveryTest {
    private static final int CAP = 4;
    private static final String LIVE = "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";
    private static final InetAddress A = address("127.0.0.1");
    private static final InetAddress B = address("127.0.0.2"); // loopback too on Linux, where all of 127/8 is

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(1)
            .with(TallyConfig.API_MAX_CONNECTIONS_PER_CLIENT, CAP)
            .with(TallyConfig.API_MAX_CONNECTIONS, 2 * CAP) // two addresses at their cap reach it: 1 s idle timeout
            .with(TallyConfig.API_REQUEST_READ_TIMEOUT_MS, 1000);

    @Test
    void afterClientFinAndReset_idleOrMidHeaders() throws Exception {
        for (boolean reset : new boolean[]{false, true}) {
            for (boolean midHeaders : new boolean[]{false, true}) {
                List<Socket> held = new ArrayList<>();
                for (int i = 0; i < CAP; i++) {
                    Socket s = connectFrom(A);
                    held.add(s);
                    if (midHeaders) {
                        write(s, "GET /health/live HTTP/1.1\r\n");
                    } else {
                        write(s, LIVE);
                        assertThat(status(s)).isEqualTo(200);
                    }
                }
                for (Socket s : held) {
                    if (reset) {
                        s.setSoLinger(true, 0);
                    }
                    s.close();
                }
                assertCapFree(A, "after " + (reset ? "RST" : "FIN") + (midHeaders ? " mid-headers" : " idle"));
            }
        }
    }

    @Test
    void afterTheReadTimeoutClosedThem_headersOrBody() throws Exception {
        List<Socket> held = new ArrayList<>();
        for (int i = 0; i < CAP; i++) {
            Socket s = connectFrom(A);
            held.add(s);
            write(s, i % 2 == 0 ? "GET /health/live HTTP/1.1\r\n"
                    : ApiServerFixture.chunkedBatchHead() + "5\r\n{\"op\"");
        }
        for (Socket s : held) {
            s.setSoTimeout(10_000);
            drainUntilClosed(s); // a 400 for a body, nothing for headers; then the server closes
            s.close();
        }
        assertCapFree(A, "after the read timeout closed them");
    }

    @Test
    void afterTheIdleTimeoutClosedThem_atTheConnectionCap() throws Exception {
        List<Socket> held = new ArrayList<>();
        for (InetAddress from : new InetAddress[]{A, B}) {
            for (int i = 0; i < CAP; i++) {
                Socket s = connectFrom(from);
                held.add(s);
                write(s, LIVE);
                System.out.println("DEBUG " + RawHttp.readOrClosed(s).head());
            }
        }
        Thread.sleep(3000); // api-max-connections reached: idle connections are closed after 1 s
        int closedByServer = 0;
        for (Socket s : held) {
            s.setSoTimeout(100);
            try {
                drainUntilClosed(s);
                closedByServer++;
            } catch (SocketTimeoutException stillOpen) {
                // the connection whose accept reached the cap keeps the connector's idle timeout (Jetty)
            }
            s.close(); // the client's side, as any client closes a connection the server closed
        }
        System.out.println("DEBUG closedByServer=" + closedByServer);
        assertThat(closedByServer).as("connections the idle timeout closed").isGreaterThanOrEqualTo(2 * CAP - 1);
        assertCapFree(A, "after the idle timeout closed them");
        assertCapFree(B, "after the idle timeout closed them");
    }

    @Test
    void afterRefusedConnections_badRequests_manyKeepAliveRequests_andResetsMidAnswer() throws Exception {
        List<Socket> held = new ArrayList<>();
        for (int i = 0; i < CAP; i++) {
            Socket s = acceptedFrom(A);
            held.add(s);
            for (int r = 0; r < 50; r++) {
                write(s, r % 5 == 0 ? "POST /v1/counters/c/incr HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                        + ApiServerFixture.TOKEN + "\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n{x}"
                        : LIVE);
                assertThat(status(s)).isIn(200, 400);
            }
        }
        for (int i = 0; i < 30; i++) {
            try (Socket extra = connectFrom(A)) {
                assertThat(refused(extra)).as("extra connection %d", i).isTrue();
            }
        }
        for (Socket s : held) {
            s.close();
        }
        assertCapFree(A, "after keep-alive requests and refused extras");

        for (int i = 0; i < CAP; i++) {
            try (Socket s = connectFrom(A)) {
                write(s, "NOT HTTP AT ALL\r\n\r\n");
                s.setSoTimeout(5000);
                drainUntilClosed(s); // Jetty's own 400, then it closes
            }
        }
        assertCapFree(A, "after requests Jetty refused");

        for (int i = 0; i < CAP; i++) {
            Socket s = new Socket();
            s.setReceiveBufferSize(1024);
            s.bind(new InetSocketAddress(A, 0));
            s.connect(new InetSocketAddress("127.0.0.1", api.port()), 5000);
            write(s, "GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n".repeat(20)); // about 1 MB of answers
            s.getInputStream().readNBytes(100);
            s.setSoLinger(true, 0);
            s.close();
        }
        assertCapFree(A, "after resets while answers were written");
    }

    @Test
    void afterManyParallelConnectsAndCloses() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 40; i++) {
                        churn(ThreadLocalRandom.current().nextInt(4));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertCapFree(A, "after 640 parallel connects and closes");
    }

    /** One connection from A that ends one of four ways; refused or not, whatever the server says. */
    private static void churn(int how) {
        try (Socket s = connectFrom(A)) {
            s.setSoTimeout(2000);
            switch (how) {
                case 0 -> { // FIN at once
                }
                case 1 -> { // a request, its answer, FIN
                    write(s, LIVE);
                    status(s);
                }
                case 2 -> { // part of a request, RST
                    write(s, "GET /health/live HTTP/1.1\r\n");
                    s.setSoLinger(true, 0);
                }
                default -> { // a request, RST before its answer
                    write(s, LIVE);
                    s.setSoLinger(true, 0);
                }
            }
        } catch (IOException refusedOrReset) {
            // the cap refusing it, or the backlog: counted or not, it is closed now
        }
    }

    /**
     * Within 10 s, {@code from} holds CAP connections, each answered on a request, and one more is refused: its count
     * is back to zero, neither leaked (refused early) nor below zero (a cap that lets more through).
     */
    private static void assertCapFree(InetAddress from, String after) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < CAP; i++) {
                    Socket s = connectFrom(from);
                    held.add(s);
                    write(s, LIVE);
                    assertThat(status(s)).as("%s: connection %d of %s", after, i + 1, from).isEqualTo(200);
                }
                try (Socket extra = connectFrom(from)) {
                    assertThat(refused(extra)).as("%s: connection %d of %s", after, CAP + 1, from).isTrue();
                }
            } catch (IOException e) {
                throw new AssertionError(after + ": connection " + held.size() + " of " + from + ": " + e, e);
            } finally {
                for (Socket s : held) {
                    closeAndAwaitTheServersClose(s);
                }
            }
        });
    }

    /**
     * Closes {@code s} and waits for the server to close its side: until then the connection counts against
     * the cap, and the next step of a test would meet it refused.
     */
    private static void closeAndAwaitTheServersClose(Socket s) throws IOException {
        try (s) {
            if (!s.isClosed() && !s.isOutputShutdown()) {
                s.shutdownOutput();
                s.setSoTimeout(5000);
                drainUntilClosed(s);
            }
        } catch (IOException alreadyGone) {
            // reset or closed by the server already: nothing left to wait for
        }
    }

    /**
     * A connection from {@code local} that the server answers: the connections an earlier test closed count
     * against the cap until the server has read their FIN, which a busy host does some milliseconds late.
     */
    private static Socket acceptedFrom(InetAddress local) {
        AtomicReference<Socket> accepted = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
            Socket s = connectFrom(local);
            write(s, LIVE);
            if (status(s) == 200) {
                accepted.set(s);
                return true;
            }
            s.close();
            return false;
        });
        return accepted.get();
    }

    private static Socket connectFrom(InetAddress local) throws IOException {
        return RawHttp.connectFrom(local, api.port(), 5000);
    }

    /** The server closed the connection, answering nothing, within 5 s of a complete request. */
    private static boolean refused(Socket s) throws IOException {
        return RawHttp.closedWithoutAnswer(s, LIVE);
    }

    /** The status of the answer on {@code s}, its Content-Length body read past; -1 when closed before one. */
    private static int status(Socket s) throws IOException {
        return RawHttp.readOrClosed(s).status();
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
