package io.tally.app.http;

import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import java.time.Duration;

/**
 * The bounds on a Jetty connector that keep one client from starving the others: at most
 * {@code maxConnections} open connections (beyond, new ones wait in the accept backlog, and connections idle
 * between requests are closed after a second), at most {@code maxPerClient} of them from one remote address
 * (beyond, a new one is closed as it is accepted: {@link ClientConnectionCap}), and {@code requestReadTimeout} to
 * deliver a request, headers and body ({@link RequestReadDeadline}). With a thread pool larger than the
 * connection cap, slow clients can hold connections but never every thread, so a health probe that gets a
 * connection is answered at once. Close it with the server: it owns the deadline's sweeper thread.
 */
public final class ConnectionBounds implements AutoCloseable {
    /** How long an idle connection is kept while the connection cap is reached. */
    private static final long IDLE_WHEN_FULL_MS = 1000;

    private final RequestReadDeadline readDeadline;

    private ConnectionBounds(RequestReadDeadline readDeadline) {
        this.readDeadline = readDeadline;
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
        NetworkConnectionLimit limit = new NetworkConnectionLimit(maxConnections, connector);
        limit.setEndPointIdleTimeout(IDLE_WHEN_FULL_MS);
        server.addBean(limit);
        return new ConnectionBounds(deadline);
    }

    @Override
    public void close() {
        readDeadline.close();
    }
}
