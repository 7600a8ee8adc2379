package io.tally.app.service;

import io.tally.common.config.TallyConfig;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * At {@code api-max-connections}, a request that has arrived whole but waits for a request thread (on a host too
 * busy to start one at once; here the test holds every free thread for 2.5 s) is answered once a thread is free,
 * never closed unanswered. Jetty counts such a connection idle until a thread reads it; the second that connections
 * idle between requests are kept at the limit (here four kept alive, which with the batches reach it) must not
 * apply to it. That those are still closed is {@code ConnectionsPerClientRecoveryTest}'s; that connections silent
 * since they opened are, this class's second test.
 */
class ConnectionLimitQueuedRequestTest {
    private static final int KEPT_ALIVE = 4;
    private static final int WAITING = 8;
    private static final int LINES = 10;
    private static final String LIVE = "GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n";

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(1)
            .with(TallyConfig.API_MAX_CONNECTIONS, KEPT_ALIVE + WAITING)
            .with(TallyConfig.API_MAX_IN_FLIGHT_PER_TOKEN, 0);

    @Test
    void requestsWaitingForAThreadAtTheLimit_areAnswered_notClosed() throws Exception {
        ServerConnector connector = api.server().connector();
        List<Socket> keptAlive = new ArrayList<>();
        List<Socket> waiting = new ArrayList<>();
        for (int i = 0; i < KEPT_ALIVE; i++) {
            Socket s = connect();
            keptAlive.add(s);
            s.getOutputStream().write(LIVE.getBytes(StandardCharsets.US_ASCII));
            assertThat(readHead(s.getInputStream())).startsWith("HTTP/1.1 200");
        }
        for (int b = 0; b < WAITING - 1; b++) {
            waiting.add(connect());
        }
        await().atMost(Duration.ofSeconds(5))
                .until(() -> connector.getConnectedEndPoints().size() == KEPT_ALIVE + WAITING - 1);
        CountDownLatch release = new CountDownLatch(1);
        try {
            holdEveryFreeThread((QueuedThreadPool) connector.getServer().getThreadPool(), release);
            for (int b = 0; b < WAITING - 1; b++) {
                sendBatch(waiting.get(b), b);
            }
            // The last connection reaches the limit: the others' batches have arrived and wait for a thread, for
            // longer than the second that connections idle between requests are kept at the limit.
            waiting.add(connect());
            sendBatch(waiting.get(WAITING - 1), WAITING - 1);
            Thread.sleep(2_500);
        } finally {
            release.countDown();
        }
        for (int b = 0; b < WAITING; b++) {
            assertThat(readAll(waiting.get(b))).as("batch %d: an answer, not a closed connection", b)
                    .startsWith("HTTP/1.1 200").contains("\"accepted\":" + LINES);
            assertThat(api.entriesOf("queued-" + b)).isEqualTo(LINES);
        }
        for (Socket s : keptAlive) {
            s.close();
        }
    }

    @Test
    void silentConnectionsAtTheLimit_areClosedAfterASecond_andANewOneIsAnswered() throws Exception {
        List<Socket> silent = new ArrayList<>();
        for (int i = 0; i < KEPT_ALIVE + WAITING; i++) {
            silent.add(connect());
        }
        for (Socket s : silent) {
            assertThat(readAll(s)).as("a connection that sent nothing at the limit is closed by the server").isEmpty();
        }
        try (Socket s = connect()) {
            s.getOutputStream().write(LIVE.getBytes(StandardCharsets.US_ASCII));
            assertThat(readHead(s.getInputStream())).startsWith("HTTP/1.1 200");
        }
    }

    private static void sendBatch(Socket s, int b) throws IOException {
        byte[] body = ("{\"op\":\"incr\",\"counter\":\"queued-" + b + "\",\"by\":1}\n").repeat(LINES)
                .getBytes(StandardCharsets.UTF_8);
        OutputStream out = s.getOutputStream();
        out.write(("POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ApiServerFixture.TOKEN
                + "\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\nContent-Length: " + body.length
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
    }

    /**
     * Runs tasks on the server's request threads until every thread it may have is busy with one, each waiting
     * for {@code release}: a request that arrives now waits in the pool's queue.
     */
    private static void holdEveryFreeThread(QueuedThreadPool threads, CountDownLatch release) {
        AtomicInteger holding = new AtomicInteger();
        int held = 0;
        while (threads.getThreads() < threads.getMaxThreads() || threads.getIdleThreads() > 0) {
            threads.execute(() -> {
                holding.incrementAndGet();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            int expected = ++held;
            await().atMost(Duration.ofSeconds(5)).until(() -> holding.get() == expected);
        }
    }

    private static Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", api.port());
        s.setSoTimeout(15_000);
        return s;
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            head.append((char) c);
        }
        int length = Integer.parseInt(head.toString().replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
        in.readNBytes(length);
        return head.toString();
    }

    /** What came back until the server closed the connection ("" when it closed it without a byte). */
    private static String readAll(Socket s) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        InputStream in = s.getInputStream();
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                got.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw e; // neither an answer nor a close
        } catch (IOException reset) {
            // a reset after what came
        }
        s.close();
        return got.toString(StandardCharsets.UTF_8);
    }
}
