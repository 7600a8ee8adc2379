package io.tally.app.service;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.producer.ProducerMetrics;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

import java.io.IOException;
import java.io.InputStream;
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

/**
 * Slow request bodies on real sockets hold a request thread each while they arrive: they cannot take every
 * thread (api-max-connections is below the thread count), nor hold a connection past
 * api-request-read-timeout-ms, so /health/live keeps answering.
 */
class ApiServerSlowClientsTest {
    private static final String TOKEN = "slow-clients-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static RedisServer redisServer;
    private static RedissonClient redis;
    private final List<Socket> sockets = new ArrayList<>();
    private ApiServer server;

    @BeforeAll
    static void startRedis() {
        redisServer = RedisServer.start();
        TallyConfig config = config().build();
        redis = RedisClientFactory.create(config);
        Namespace.create(redis, config); // as `tally init` would
    }

    @AfterAll
    static void stopRedis() {
        redis.shutdown();
        redisServer.close();
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void liveness_answersBesideThreeHundredRequestsWaitingForTheirBody() throws Exception {
        server = start(config());
        openSlowBodies(300);
        Thread.sleep(1000);
        assertThat(live()).as("/health/live answered within 5 s").isEqualTo(200);
    }

    @Test
    void requestWaitingForItsBody_isClosedAfterTheRequestReadTimeout() throws Exception {
        server = start(config().set(TallyConfig.API_REQUEST_READ_TIMEOUT_MS, 1000));
        Socket slow = openSlowBodies(1).get(0);
        long start = System.nanoTime();
        for (int i = 0; i < 40 && stillOpen(slow); i++) {
            slow.getOutputStream().write(' '); // never silent: the idle timeout alone would not end it
            Thread.sleep(100);
        }
        Duration held = Duration.ofNanos(System.nanoTime() - start);
        assertThat(stillOpen(slow)).as("closed after the 1 s read timeout").isFalse();
        assertThat(held).isBetween(Duration.ofMillis(800), Duration.ofSeconds(3));
    }

    @Test
    void connectionPastTheCap_isServedOnceTheRequestReadTimeoutEndsASlowBody() throws Exception {
        server = start(config().set(TallyConfig.API_MAX_CONNECTIONS, 8).set(TallyConfig.API_REQUEST_READ_TIMEOUT_MS, 1000));
        openSlowBodies(8);
        Thread.sleep(300);
        long start = System.nanoTime();
        assertThat(live()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("waited in the backlog for the 1 s read timeout")
                .isBetween(Duration.ofMillis(300), Duration.ofSeconds(3));
    }

    /** Each sends its headers and 1 byte of a 100-byte body. */
    private List<Socket> openSlowBodies(int n) throws IOException {
        List<Socket> opened = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Socket s = new Socket("127.0.0.1", server.port());
            sockets.add(s);
            s.getOutputStream().write(("POST /v1/counters/slow-" + i + "/incr HTTP/1.1\r\nHost: x\r\nAuthorization: "
                    + "Bearer " + TOKEN + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            opened.add(s);
        }
        return opened;
    }

    /** The status of GET /health/live, or -1 when it is not answered within 5 s. */
    private int live() throws Exception {
        HttpResponse<String> r = HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                        + "/health/live")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString())
                .handle((response, e) -> response).get();
        return r == null ? -1 : r.statusCode();
    }

    /** The server has not closed the connection: reading what it sent meets no end within 100 ms. */
    private static boolean stillOpen(Socket s) throws IOException {
        s.setSoTimeout(100);
        InputStream in = s.getInputStream();
        try {
            while (in.read() >= 0) {
                // an answer it may have sent before closing
            }
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        } catch (IOException reset) {
            return false;
        }
    }

    /**
     * One address and one token play every slow client here, so the caps per address and per token are off
     * (ConnectionsPerClientTest and TokenInFlightTest have them).
     */
    private static TallyConfig.Builder config() {
        return TallyConfig.builder().set(TallyConfig.REDIS_URL, redisServer.url())
                .set(TallyConfig.NAMESPACE, "slow").set(TallyConfig.PARTITIONS, 4)
                .set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1").set(TallyConfig.API_TOKENS, TOKEN)
                .set(TallyConfig.API_MAX_CONNECTIONS_PER_CLIENT, TallyConfig.API_MAX_CONNECTIONS.defaultValue())
                .set(TallyConfig.API_MAX_IN_FLIGHT_PER_TOKEN, 0);
    }

    private static ApiServer start(TallyConfig.Builder config) {
        return new ApiServer(redis, config.build(), ApiTokens.from(config.build()), ProducerMetrics.NOOP,
                ServiceMetrics.newRegistry());
    }
}
