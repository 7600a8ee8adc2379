package io.tally.app.http;

import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import java.time.Duration;

/**
 * The bounds on a Jetty connector that keep one client from starving the others: at most
 * {@code maxConnections} open connections (beyond, new ones wait in the accept backlog, and connections that have
 * not delivered a whole request head a second after their open or their last answer, idle or sending one slowly, are
 * closed, never one whose request head has arrived: {@link NoRequestAtConnectionLimit}),
 * at most {@code maxPerClient} of them from one remote address (beyond, a new one is closed as it is accepted:
 * {@link ClientConnectionCap}), and {@code requestReadTimeout} to deliver a request, headers and body
 * ({@link RequestReadDeadline}). With a thread pool larger than the connection cap, slow clients can hold
 * connections but never every thread, so a health probe that gets a connection is answered at once. Close it with
 * the server: it owns the sweeper threads.
 */
public final class ConnectionBounds implements AutoCloseable {
    /**
     * How long a connection may take to deliver a whole request head, from its open or its last answer, while the
     * connection cap is reached: a client sends a head in one packet, a round trip after the answer it waited for.
     */
    private static final Duration HEAD_WHEN_FULL = Duration.ofSeconds(1);

    private final RequestReadDeadline readDeadline;
    private final NoRequestAtConnectionLimit noRequestAtLimit;

    private ConnectionBounds(RequestReadDeadline readDeadline, NoRequestAtConnectionLimit noRequestAtLimit) {
        this.readDeadline = readDeadline;
        this.noRequestAtLimit = noRequestAtLimit;
    }

    /**
     * Bounds {@code connector} of {@code server} (before the server starts), with no cap per client and a
     * connection closed as soon as its request passes the read timeout.
     *
     * @param requestReadTimeout longest time from a request's first byte to its last
     * @param maxConnections     connections open at once
     */
    public static ConnectionBounds apply(Server server, ServerConnector connector, Duration requestReadTimeout,
                                         int maxConnections) {
        return apply(server, connector, requestReadTimeout, Duration.ZERO, maxConnections, maxConnections);
    }

    /**
     * Bounds {@code connector} of {@code server} (before the server starts).
     *
     * @param requestReadTimeout longest time from a request's first byte to its last
     * @param answerGrace        how long a handler reading a body past the read timeout may take to answer
     *                           before its connection is closed ({@link RequestReadDeadline})
     * @param maxConnections     connections open at once
     * @param maxPerClient       connections open at once from one remote address
     */
    public static ConnectionBounds apply(Server server, ServerConnector connector, Duration requestReadTimeout,
                                         Duration answerGrace, int maxConnections, int maxPerClient) {
        // A backlog as deep as the connection limit: a burst of connects waits there while the acceptor
        // catches up (on a busy host) instead of having its SYNs dropped at the default 50.
        connector.setAcceptQueueSize(maxConnections);
        RequestReadDeadline deadline = new RequestReadDeadline(requestReadTimeout, answerGrace);
        connector.addBean(deadline);
        if (maxPerClient < maxConnections) {
            connector.addBean(new ClientConnectionCap(maxPerClient));
        }
        // No setEndPointIdleTimeout: it shortens every connection's, that of a request waiting for a thread too.
        NetworkConnectionLimit limit = new NetworkConnectionLimit(maxConnections, connector);
        server.addBean(limit);
        NoRequestAtConnectionLimit noRequestAtLimit = new NoRequestAtConnectionLimit(limit, connector.getExecutor(),
                HEAD_WHEN_FULL);
        connector.addBean(noRequestAtLimit);
        return new ConnectionBounds(deadline, noRequestAtLimit);
    }

    /** Whether the connector holds {@code maxConnections}: new connections wait in the accept backlog. */
    public boolean atConnectionLimit() {
        return noRequestAtLimit.atLimit();
    }

    @Override
    public void close() {
        readDeadline.close();
        noRequestAtLimit.close();
    }
}
