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
 * 500 ms). A token holder's keep-alive connection sending a request every 500 ms meanwhile keeps its connection.
 * Before, the slow heads held theirs for the 60 s read timeout, the others for as long as they kept sending.
 */
class ConnectionLimitTokenlessClientsTest {
    private static final int LIMIT = 32;
    private static final int PER_CLIENT = 4;
    private static final int ADDRESSES = 9; // 36 connections: more than the limit
    private static final long ANSWERED_WITHIN_MS = 5_000;
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

            assertThat(tokenless.closedByServer(kind)).as("%s connections the server closed", kind).isPositive();
            assertThat(tokenless.unexpected).as("statuses other than 401 and 200").isEmpty();
            if (kind == Kind.SLOW_HEAD) {
                assertThat(tokenless.slowHeadHeldMs).as("how long slow heads were kept (the read timeout is 60 s)")
                        .allSatisfy(ms -> assertThat(ms).isLessThan(5_000));
            }
            if (kind == Kind.UNAUTHORIZED_REQUESTS) {
                assertThat(tokenless.unauthorized.get()).as("401 answers").isPositive();
                assertThat(tokenless.unauthorizedKeptOpen.get()).as("401 answers without Connection: close").isZero();
            }
        }
        awaitConnectionsClosed();
    }

    @Test
    void tokenlessClientsOfEveryKind_leaveATokenHoldersKeepAliveConnectionServed() throws Exception {
        Kind[] kinds = Kind.values();
        AtomicBoolean stop = new AtomicBoolean();
        try (Socket keepAlive = RawHttp.connectFrom(InetAddress.getByName("127.0.0.1"), api.port(), 10_000)) {
            CompletableFuture<List<Integer>> keptAlive = CompletableFuture.supplyAsync(
                    () -> requestEvery500Ms(keepAlive, stop));
            try (TokenlessClients tokenless = TokenlessClients.start(api.port(),
                    addresses(i -> kinds[i % kinds.length]), PER_CLIENT)) {
                awaitTheLimitTried(tokenless);
                assertTokenHolderAndProbeServed();
                for (Kind kind : kinds) {
                    assertThat(tokenless.closedByServer(kind)).as("%s connections the server closed", kind).isPositive();
                }
                assertThat(tokenless.unauthorizedKeptOpen.get()).as("401 answers without Connection: close").isZero();
                assertThat(tokenless.unexpected).as("statuses other than 401 and 200").isEmpty();
                Thread.sleep(2_000); // the keep-alive connection goes on meanwhile
            }
            stop.set(true);
            List<Integer> statuses = keptAlive.join();
            assertThat(statuses).as("every answer on the token holder's one keep-alive connection")
                    .hasSizeGreaterThanOrEqualTo(8).containsOnly(200);
        }
        awaitConnectionsClosed();
    }

    /**
     * The tokenless clients have opened as many connections as the limit (which they held, before), and go on for
     * longer than a connection without a head is kept at the limit.
     */
    private static void awaitTheLimitTried(TokenlessClients tokenless) throws InterruptedException {
        await().atMost(Duration.ofSeconds(10)).until(() -> tokenless.opened.get() >= LIMIT);
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
        try (Socket s = RawHttp.connectFrom(InetAddress.getByName("127.0.0.1"), api.port(), 15_000)) {
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

    /** 127.0.0.2 to 127.0.0.10 (all of 127/8 is loopback on Linux), the i-th with the kind {@code kindOf} gives. */
    private static Map<InetAddress, Kind> addresses(Function<Integer, Kind> kindOf) throws IOException {
        Map<InetAddress, Kind> kinds = new LinkedHashMap<>();
        for (int i = 0; i < ADDRESSES; i++) {
            kinds.put(InetAddress.getByName("127.0.0." + (i + 2)), kindOf.apply(i));
        }
        return kinds;
    }
}
