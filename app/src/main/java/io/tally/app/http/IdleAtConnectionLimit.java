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
 * While the connector is at its connection limit, closes the connections idle between requests (kept alive after
 * an answer, or without a request since they were opened) once they have neither started a request nor finished
 * one for {@code idleWhenFull}, so that clients waiting in the accept backlog get their turn. Idle counts from
 * the last {@link RequestBoundary}, not from the last byte: empty lines sent ahead of a request line (which the
 * parser skips) keep no connection. Only those: a connection
 * part-way through a request, being answered, or whose request has arrived and waits for a request thread keeps
 * the connector's idle timeout. Jetty's {@link NetworkConnectionLimit#setEndPointIdleTimeout} shortens the idle
 * timeout of every connection instead, and Jetty counts a connection idle until a thread reads it: on a host too
 * busy to start request threads at once, a request that arrived whole would wait out that short timeout and its
 * connection be closed without an answer.
 *
 * <p>A request the selector has seen but no thread has read waits in the request threads' queue, so nothing is
 * closed while that queue holds work; and a connection is closed only when two sweeps in a row found it idle, so
 * that after a pause of the whole process (a GC) the selector first gets to see what arrived meanwhile. Add it as
 * a bean of the connector whose connections it watches; close it with the server: it owns the sweeper thread.
 */
public final class IdleAtConnectionLimit implements Connection.Listener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IdleAtConnectionLimit.class);

    private final NetworkConnectionLimit limit;
    private final Executor requestThreads;
    private final long idleWhenFullNanos;
    /** Open connections, each with the last request boundary a sweep saw on it. */
    private final Map<HttpConnection, RequestBoundary> open = new ConcurrentHashMap<>();
    /** The connections the last sweep found idle at the limit (only the sweeper touches it). */
    private Set<HttpConnection> idleLastSweep = new HashSet<>();
    private final ScheduledExecutorService sweeper;

    /**
     * Starts the sweep.
     *
     * @param limit          the connector's connection limit
     * @param requestThreads the connector's executor
     * @param idleWhenFull   how long a connection idle between requests is kept while the limit is reached
     */
    public IdleAtConnectionLimit(NetworkConnectionLimit limit, Executor requestThreads, Duration idleWhenFull) {
        this.limit = limit;
        this.requestThreads = requestThreads;
        this.idleWhenFullNanos = idleWhenFull.toNanos();
        this.sweeper = DaemonThreads.scheduler("tally-http-idle-at-limit");
        long everyMs = Math.max(10, Math.min(250, idleWhenFull.toMillis() / 4));
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

    private void sweep() {
        try {
            long now = System.nanoTime();
            open.replaceAll((connection, boundary) -> boundary.next(connection, now));
            Set<HttpConnection> idle = new HashSet<>();
            if (atLimit() && !requestsQueued()) {
                open.forEach((connection, boundary) -> {
                    if (idleBetweenRequests(connection, boundary, now)) {
                        idle.add(connection);
                    }
                });
            }
            for (HttpConnection connection : idle) {
                if (idleLastSweep.contains(connection)) {
                    connection.getEndPoint().close();
                }
            }
            idleLastSweep = idle;
        } catch (RuntimeException e) {
            // the sweep must outlive one failure: a task that throws is never run again
            log.warn("idle connections at the connection limit: a sweep failed ({}); sweeping again", e.toString());
        }
    }

    private boolean atLimit() {
        return limit.getNetworkConnectionCount() + limit.getPendingNetworkConnectionCount()
                >= limit.getMaxNetworkConnectionCount();
    }

    private boolean requestsQueued() {
        return requestThreads instanceof QueuedThreadPool threads && threads.getQueueSize() > 0;
    }

    /**
     * Answered every request it sent (if any), has sent no byte of the next one but empty lines, waits for one, and
     * has neither started nor finished a request for {@code idleWhenFull}.
     */
    private boolean idleBetweenRequests(HttpConnection connection, RequestBoundary boundary, long now) {
        HttpParser parser = connection.getParser();
        return connection.getMessagesOut() == connection.getMessagesIn() && parser.isStart()
                && connection.getEndPoint().isFillInterested()
                && boundary.nanosSince(now) >= idleWhenFullNanos;
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
