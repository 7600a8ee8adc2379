package io.tally.app.http;

import io.tally.common.internal.concurrent.DaemonThreads;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * While the connector is at its connection limit, closes the connections that have not delivered a whole request
 * head for {@code headWhenFull} since their last {@link RequestBoundary} (their open, or the end of their latest
 * request and answer): idle ones, and ones part-way through a head, so that clients waiting in the accept backlog get
 * their turn. A head sent slowly is how a client without any credential holds a connection: nothing can check a
 * token before the head has arrived, and the request read timeout is sized for bodies, not for heads. So are the
 * connections whose answer closed them (a 401, say) but whose client has not closed its side that long after: Jetty
 * has shut its output and waits for the client's end of stream up to the idle timeout, a slot held for nothing by a
 * client that ignores {@code Connection: close}. Counting from
 * the boundary, not from the last byte or the head's first byte, empty lines sent ahead of a request line (which the
 * parser skips) keep no connection, nor does a pause before a slow head. Only those: a connection whose head has
 * arrived (its body arriving, its request being answered, or waiting for a request thread) keeps the connector's
 * idle timeout and the request read timeout. Jetty's {@link NetworkConnectionLimit#setEndPointIdleTimeout} shortens
 * the idle timeout of every connection instead, and Jetty counts a connection idle until a thread reads it: on a host
 * too busy to start request threads at once, a request that arrived whole would wait out that short timeout and its
 * connection be closed without an answer.
 *
 * <p>A request the selector has seen but no thread has read waits in the request threads' queue, so nothing is
 * closed while that queue holds work; and a connection is closed only when two sweeps in a row found it without a
 * head, so that after a pause of the whole process (a GC) the selector first gets to see what arrived meanwhile. Add
 * it as a bean of the connector whose connections it watches; close it with the server: it owns the sweeper thread.
 */
public final class NoRequestAtConnectionLimit implements Connection.Listener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NoRequestAtConnectionLimit.class);

    private final NetworkConnectionLimit limit;
    private final Executor requestThreads;
    private final long headWhenFullNanos;
    /** Open connections, each with the last request boundary a sweep saw on it. */
    private final Map<HttpConnection, RequestBoundary> open = new ConcurrentHashMap<>();
    /** The connections the last sweep found without a head at the limit (only the sweeper touches it). */
    private Set<HttpConnection> headlessLastSweep = new HashSet<>();
    private final ScheduledExecutorService sweeper;

    /**
     * Starts the sweep.
     *
     * @param limit          the connector's connection limit
     * @param requestThreads the connector's executor
     * @param headWhenFull   how long a connection may go without delivering a whole request head, from its open or
     *                       its last answer, while the limit is reached
     */
    public NoRequestAtConnectionLimit(NetworkConnectionLimit limit, Executor requestThreads, Duration headWhenFull) {
        this.limit = limit;
        this.requestThreads = requestThreads;
        this.headWhenFullNanos = headWhenFull.toNanos();
        this.sweeper = DaemonThreads.scheduler("tally-http-no-request-at-limit");
        long everyMs = Math.max(10, Math.min(250, headWhenFull.toMillis() / 4));
        sweeper.scheduleWithFixedDelay(this::sweep, everyMs, everyMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void onOpened(Connection connection) {
        if (connection instanceof HttpConnection http) {
            open.put(http, RequestBoundary.opened(http, System.nanoTime()));
        }
    }

    @Override
    public void onClosed(Connection connection) {
        if (connection instanceof HttpConnection http) {
            open.remove(http);
        }
    }

    /** Whether the connector holds as many connections (accepted or being accepted) as it may. */
    public boolean atLimit() {
        return limit.getNetworkConnectionCount() + limit.getPendingNetworkConnectionCount()
                >= limit.getMaxNetworkConnectionCount();
    }

    private void sweep() {
        try {
            long now = System.nanoTime();
            open.replaceAll((connection, boundary) -> boundary.next(connection, now));
            Set<HttpConnection> headless = new HashSet<>();
            if (!requestsQueued()) {
                open.forEach((connection, boundary) -> {
                    if (noRequestHead(connection, boundary, now)) {
                        headless.add(connection);
                    }
                });
            }
            // found below the limit too: clients that close connections and open new ones keep the count going
            // below and back to the limit, which must not reset what the last sweep found
            if (atLimit()) {
                for (HttpConnection connection : headless) {
                    if (headlessLastSweep.contains(connection)) {
                        connection.getEndPoint().close();
                    }
                }
            }
            headlessLastSweep = headless;
        } catch (RuntimeException e) {
            // the sweep must outlive one failure: a task that throws is never run again
            log.warn("connections without a request at the connection limit: a sweep failed ({}); sweeping again",
                    e.toString());
        }
    }

    private boolean requestsQueued() {
        return requestThreads instanceof QueuedThreadPool threads && threads.getQueueSize() > 0;
    }

    /**
     * Answered every request it sent (if any), has sent none of the next one or only part of its head (or empty
     * lines), or was closed by its last answer; waits for bytes; and has not delivered a whole head for
     * {@code headWhenFull}. A thread parsing a head that just arrived holds no interest in more bytes, so a head just
     * completed is never taken for one still arriving.
     */
    private boolean noRequestHead(HttpConnection connection, RequestBoundary boundary, long now) {
        HttpParser parser = connection.getParser();
        return connection.getMessagesOut() == connection.getMessagesIn() && RequestBoundary.betweenExchanges(parser)
                && connection.getEndPoint().isFillInterested()
                && boundary.nanosSince(now) >= headWhenFullNanos;
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
