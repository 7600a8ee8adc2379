package io.tally.app.runtime;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Slow and silent clients on real sockets cannot starve the probes, and are cut off by the timeouts. */
class MetricsHttpServerSlowClientsTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<Socket> sockets = new ArrayList<>();
    private MetricsHttpServer server;

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
        registry.close();
    }

    @Test
    void liveness_answersWithinASecond_besideFiftyTricklingAndFiftySilentConnections() throws Exception {
        // Timeouts longer than the test, so every slow connection stays open while the probes run.
        server = MetricsHttpServer.start("127.0.0.1", 0,
                new MetricsHttpServer.Limits(Duration.ofSeconds(60), Duration.ofSeconds(60), 8, 256), registry, () -> true, () -> null);
        List<Socket> tricklers = open(50);
        for (Socket s : tricklers) {
            s.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
        }
        List<Socket> silent = open(50);

        for (int probe = 0; probe < 20; probe++) {
            // A new client per probe, as a kubelet opens a new connection per probe.
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
            for (Socket s : tricklers) {
                s.getOutputStream().write('a');
            }
            long start = System.nanoTime();
            HttpResponse<String> live = client.send(HttpRequest.newBuilder(URI.create(url("/health/live")))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(live.body()).isEqualTo("live\n");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
            Thread.sleep(100);
        }
        for (Socket s : tricklers) {
            assertThat(stillOpen(s)).as("trickling connection held open during the probes").isTrue();
        }
        for (Socket s : silent) {
            assertThat(stillOpen(s)).as("silent connection held open during the probes").isTrue();
        }
    }

    @Test
    void tricklingConnection_isClosedAfterTheRequestReadTimeout_thoughItNeverFallsSilent() throws Exception {
        server = MetricsHttpServer.start("127.0.0.1", 0,
                new MetricsHttpServer.Limits(Duration.ofMillis(1000), Duration.ofSeconds(60), 8, 256), registry, () -> true, () -> null);
        Socket trickler = open(1).get(0);
        OutputStream out = trickler.getOutputStream();
        out.write("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
        long start = System.nanoTime();
        boolean closed = false;
        while (!closed && System.nanoTime() - start < Duration.ofSeconds(5).toNanos()) {
            try {
                out.write('a');
                Thread.sleep(100);
                closed = !stillOpen(trickler);
            } catch (IOException e) {
                closed = true;
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(closed).as("closed within 5 s").isTrue();
        assertThat(took).isBetween(Duration.ofMillis(900), Duration.ofMillis(2500));
    }

    @Test
    void tricklingHeadsHoldingEveryConnection_areClosedASecondIn_andTheProbeIsAnswered() throws Exception {
        // A read timeout longer than the test: only the rule at the connection limit can free a connection.
        server = MetricsHttpServer.start("127.0.0.1", 0,
                new MetricsHttpServer.Limits(Duration.ofSeconds(60), Duration.ofSeconds(60), 8, 8), registry, () -> true, () -> null);
        List<Socket> tricklers = open(8);
        for (Socket s : tricklers) {
            s.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
        }
        long start = System.nanoTime();
        for (int i = 0; i < 10; i++) { // a byte each 200 ms: never silent, never a whole head
            for (Socket s : tricklers) {
                try {
                    s.getOutputStream().write('a');
                } catch (IOException closedByTheServer) {
                    // closed already
                }
            }
            Thread.sleep(200);
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> live = client.send(HttpRequest.newBuilder(URI.create(url("/health/live")))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("answered within seconds, not the 60 s read timeout")
                .isLessThan(Duration.ofSeconds(6));
        for (Socket s : tricklers) {
            assertThat(stillOpen(s)).as("a trickling head closed at the limit").isFalse();
        }
    }

    @Test
    void silentConnection_isClosedAfterTheIdleTimeout() throws Exception {
        server = MetricsHttpServer.start("127.0.0.1", 0,
                new MetricsHttpServer.Limits(Duration.ofSeconds(60), Duration.ofMillis(500), 8, 256), registry, () -> true, () -> null);
        Socket silent = open(1).get(0);
        silent.setSoTimeout(3000);
        long start = System.nanoTime();
        assertThat(silent.getInputStream().read()).isEqualTo(-1);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(400), Duration.ofMillis(2500));
    }

    @Test
    void httpHost_bindsOnlyTheAddressGiven() {
        server = MetricsHttpServer.start("127.0.0.1", 0, registry, () -> true, () -> null);
        assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
        assertThat(Http.get(url("/health/live")).statusCode()).isEqualTo(200);
    }

    private List<Socket> open(int n) throws IOException {
        List<Socket> opened = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Socket s = new Socket();
            sockets.add(s);
            s.connect(new InetSocketAddress("127.0.0.1", server.port()), 1000);
            opened.add(s);
        }
        return opened;
    }

    /** True while the server has not closed the connection (no end of stream within a short wait). */
    private static boolean stillOpen(Socket s) throws IOException {
        s.setSoTimeout(20);
        InputStream in = s.getInputStream();
        try {
            return in.read() != -1;
        } catch (SocketTimeoutException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private String url(String path) {
        return "http://127.0.0.1:" + server.port() + path;
    }
}
