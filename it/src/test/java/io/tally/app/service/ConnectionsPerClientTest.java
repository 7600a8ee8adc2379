package io.tally.app.service;

import io.tally.common.config.TallyConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.tally.app.service.RawHttp.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * api-max-connections-per-client: one address holding its cap of connections open (slow headers, each allowed
 * the read timeout) gets its next connection closed as it is accepted, while another address is still served and
 * the first gets connections again once one of its own closes.
 */
class ConnectionsPerClientTest {
    private static final int CAP = 4;
    private static final String LIVE_HEAD = "GET /health/live HTTP/1.1\r\nHost: x\r\n";

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(1)
            .with(TallyConfig.API_MAX_CONNECTIONS_PER_CLIENT, CAP);

    private final List<Socket> held = new ArrayList<>();

    @AfterEach
    void closeHeld() throws IOException {
        for (Socket s : held) {
            s.close();
        }
    }

    @Test
    void anAddressPastItsCap_isRefused_anotherIsServed_andTheFirstAgainOnceOneCloses() throws Exception {
        InetAddress first = InetAddress.getByName("127.0.0.1");
        InetAddress other = InetAddress.getByName("127.0.0.2"); // loopback too on Linux, where all of 127/8 is
        for (int i = 0; i < CAP; i++) {
            Socket s = connectFrom(first);
            held.add(s);
            write(s, LIVE_HEAD); // headers never finished: the connection stays open, up to the read timeout
        }

        try (Socket extra = connectFrom(first)) {
            assertThat(closedWithoutAnswer(extra)).as("connection %d from %s", CAP + 1, first).isTrue();
        }
        assertThat(live(other)).as("another address").startsWith("HTTP/1.1 200");

        write(held.get(0), "\r\n");
        assertThat(statusLine(held.get(0))).as("a connection within the cap").startsWith("HTTP/1.1 200");
        held.remove(0).close();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(live(first)).as("once one of its connections closed").startsWith("HTTP/1.1 200"));
    }

    private static Socket connectFrom(InetAddress local) throws IOException {
        return RawHttp.connectFrom(local, api.port(), 5000);
    }

    /** The status line of GET /health/live on a new connection from {@code local}, or what went wrong. */
    private static String live(InetAddress local) {
        try (Socket s = connectFrom(local)) {
            write(s, LIVE_HEAD + "Connection: close\r\n\r\n");
            return statusLine(s);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** The server closed the connection, answering nothing, within 5 s of a complete request. */
    private static boolean closedWithoutAnswer(Socket s) throws IOException {
        return RawHttp.closedWithoutAnswer(s, LIVE_HEAD + "\r\n");
    }

    /** The status line of the answer on {@code s}, the rest of it left unread. */
    private static String statusLine(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            line.write(b);
        }
        return line.toString(StandardCharsets.US_ASCII).strip();
    }
}
