package io.tally.app.service;

import io.tally.app.service.RawHttp.Reply;
import io.tally.app.service.TokenlessClients.Kind;
import io.tally.common.config.TallyConfig;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.redisson.client.codec.StringCodec;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import static io.tally.app.service.RawHttp.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Clients without a token, from more addresses than it takes to fill {@code api-max-connections} within
 * {@code api-max-connections-per-client} (nine addresses of four connections for 32), cannot keep a client with a
 * token or a probe waiting in the accept backlog: a 401 closes its connection, and at the limit a connection that
 * has not delivered a whole request head a second after its open or its last answer (here a head sent one byte a
 * second) is closed, as is one whose request had no token once it is answered (here a request to an open path every
 * 500 ms, or one Jetty answers itself: OPTIONS *, CONNECT, a path it refuses), and one a client keeps open after an
 * answer that closed it (for 30 s, the idle timeout, before). A token holder's keep-alive connection sending a
 * request every 500 ms meanwhile keeps its connection. Before, the slow heads held theirs for the 60 s read timeout,
 * the others for as long as they kept sending.
 */
class ConnectionLimitTokenlessClientsTest {
    private static final int LIMIT = 32;
    private static final int PER_CLIENT = 4;
    private static final int ADDRESSES = 9; // 36 connections: more than the limit
    private static final long ANSWERED_WITHIN_MS = 5_000;
    /** The address of the token holder and the probe, and of no tokenless client. */
    private static final InetAddress LOCAL = loopback(1);
    private static final String LIVE = "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    private static final String WITH_TOKEN = "GET /v1/counters/held HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + ApiServerFixture.TOKEN + "\r\n";

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(1)
            .with(TallyConfig.API_MAX_CONNECTIONS, LIMIT)
            .with(TallyConfig.API_MAX_CONNECTIONS_PER_CLIENT, PER_CLIENT);

    @BeforeAll
    static void heldCounter() {
        api.redis().getMap(api.keys().counters(api.partitionOf("held")), StringCodec.INSTANCE).put("held", "7");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void tokenlessClientsOfOneKind_holdNoConnectionAtTheLimit(Kind kind) throws Exception {
        try (TokenlessClients tokenless = TokenlessClients.start(api.port(), addresses(i -> kind), PER_CLIENT)) {
            awaitTheLimitTried(tokenless);
            assertTokenHolderAndProbeServed();

            assertThat(tokenless.unexpected).as("statuses other than each kind's (401, 200, and 400 or 404 for what Jetty answers)").isEmpty();
            if (kind == Kind.SLOW_HEAD) {
                assertThat(tokenless.slowHeadHeldMs).as("slow heads the server closed").isNotEmpty()
                        .as("how long slow heads were kept (the read timeout is 60 s)")
                        .allSatisfy(ms -> assertThat(ms).isLessThan(5_000));
            } else {
                assertThat(tokenless.closingAnswers(kind)).as("answers with Connection: close").isPositive();
            }
            if (kind == Kind.UNAUTHORIZED_REQUESTS) {
                assertThat(tokenless.unauthorized.get()).as("401 answers").isPositive();
                assertThat(tokenless.unauthorizedKeptOpen.get()).as("401 answers without Connection: close").isZero();
            }
        }
        awaitConnectionsClosed();
    }

    @Test
    void tokenlessClientsOfEveryKind_holdNoConnectionForLong_andATokenHoldersKeepAliveConnectionIsServed()
            throws Exception {
        Kind[] kinds = Kind.values();
        AtomicBoolean stop = new AtomicBoolean();
        try (Socket keepAlive = RawHttp.connectFrom(LOCAL, api.port(), 10_000)) {
            CompletableFuture<List<Integer>> keptAlive = CompletableFuture.supplyAsync(
                    () -> requestEvery500Ms(keepAlive, stop));
            try (TokenlessClients tokenless = TokenlessClients.start(api.port(),
                    addresses(i -> kinds[i % kinds.length]), PER_CLIENT)) {
                awaitTheLimitTried(tokenless);
                assertTokenHolderAndProbeServed();
                Thread.sleep(4_000); // the attack goes on, and so does the keep-alive connection

                List<Long> agesMs = tokenlessConnectionAgesMs();
                assertThat(agesMs).as("connections of the tokenless clients open now").isNotEmpty()
                        .as("their ages (ms): slow heads and connections kept open after a closing answer included")
                        .allSatisfy(ms -> assertThat(ms).isLessThan(5_000));
                assertThat(tokenless.slowHeadHeldMs).as("slow heads the server closed").isNotEmpty();
                assertThat(tokenless.closingAnswers(Kind.UNAUTHORIZED_REQUESTS)).as("401s that closed").isPositive();
                assertThat(tokenless.closingAnswers(Kind.OPEN_PATH_REQUESTS)).as("open-path answers that closed")
                        .isPositive();
                assertThat(tokenless.closingAnswers(Kind.REQUESTS_JETTY_ANSWERS)).as("Jetty's own answers that closed")
                        .isPositive();
                assertThat(tokenless.unauthorizedKeptOpen.get()).as("401 answers without Connection: close").isZero();
                assertThat(tokenless.unexpected).as("statuses other than each kind's (401, 200, and 400 or 404 for what Jetty answers)").isEmpty();
            }
            stop.set(true);
            List<Integer> statuses = keptAlive.join();
            assertThat(statuses).as("every answer on the token holder's one keep-alive connection")
                    .hasSizeGreaterThanOrEqualTo(10).containsOnly(200);
        }
        awaitConnectionsClosed();
    }

    /** How long ago each connection the service holds from another address than 127.0.0.1 was opened. */
    private static List<Long> tokenlessConnectionAgesMs() {
        long now = System.currentTimeMillis();
        return api.server().connector().getConnectedEndPoints().stream()
                .filter(e -> e.getRemoteSocketAddress() instanceof InetSocketAddress remote
                        && !remote.getAddress().equals(LOCAL))
                .map(e -> now - e.getCreatedTimeStamp()).toList();
    }

    /**
     * The tokenless clients have opened as many connections as the limit (which they held, before), and go on for
     * longer than a connection without a head is kept at the limit.
     */
    private static void awaitTheLimitTried(TokenlessClients tokenless) throws InterruptedException {
        await().atMost(Duration.ofSeconds(10)).until(() -> tokenless.opened() >= LIMIT);
        Thread.sleep(2_000);
    }

    private static void awaitConnectionsClosed() {
        ServerConnector connector = api.server().connector();
        await().atMost(Duration.ofSeconds(10)).until(() -> connector.getConnectedEndPoints().isEmpty());
    }

    /** Three times, each on a new connection: a request with the token, and GET /health/live. */
    private static void assertTokenHolderAndProbeServed() throws IOException {
        for (int i = 0; i < 3; i++) {
            assertThat(answeredInTime("a request with the token", WITH_TOKEN + "Connection: close\r\n\r\n"))
                    .contains("\"value\":7");
            assertThat(answeredInTime("GET /health/live", LIVE)).contains("\"status\":\"UP\"");
        }
    }

    /**
     * A new connection from 127.0.0.1 (an address of its own) sends {@code request}: answered 200 in time; the body.
     */
    private static String answeredInTime(String what, String request) throws IOException {
        long asked = System.nanoTime();
        try (Socket s = RawHttp.connectFrom(LOCAL, api.port(), 15_000)) {
            write(s, request);
            Reply reply = RawHttp.readOrClosed(s);
            long tookMs = (System.nanoTime() - asked) / 1_000_000;
            assertThat(reply.status()).as("%s: %s after %d ms", what, reply, tookMs).isEqualTo(200);
            assertThat(tookMs).as("%s: answered after (ms)", what).isLessThan(ANSWERED_WITHIN_MS);
            return reply.body();
        }
    }

    /** Sends a request with the token every 500 ms on {@code s} until {@code stop}; the statuses, -1 for none. */
    private static List<Integer> requestEvery500Ms(Socket s, AtomicBoolean stop) {
        List<Integer> statuses = new ArrayList<>();
        try {
            while (!stop.get()) {
                write(s, WITH_TOKEN + "\r\n");
                int status = RawHttp.readOrClosed(s).status();
                statuses.add(status);
                if (status != 200) {
                    break;
                }
                Thread.sleep(500);
            }
        } catch (Exception e) {
            statuses.add(-1);
        }
        return statuses;
    }

    /** 127.0.0.2 to 127.0.0.10, the i-th with the kind {@code kindOf} gives. */
    private static Map<InetAddress, Kind> addresses(Function<Integer, Kind> kindOf) {
        Map<InetAddress, Kind> kinds = new LinkedHashMap<>();
        for (int i = 0; i < ADDRESSES; i++) {
            kinds.put(loopback(i + 2), kindOf.apply(i));
        }
        return kinds;
    }

    /** 127.0.0.{@code last}: all of 127/8 is loopback on Linux. */
    private static InetAddress loopback(int last) {
        try {
            return InetAddress.getByAddress(new byte[]{127, 0, 0, (byte) last});
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible); // four bytes are always an IPv4 address
        }
    }
}
