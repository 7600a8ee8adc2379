package io.tally.app.http;

import io.tally.common.internal.concurrent.DaemonThreads;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.internal.HttpConnection;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection that takes longer than the deadline to deliver one request. Jetty's idle
 * timeout only notices silence, so a client that sends one header byte a second would hold its
 * connection for ever; this sweep looks at each connection's parser a few times per deadline and
 * closes the ones that have been part-way through a request since the deadline ago. Connections that
 * wait between requests are left to the idle timeout; requests being answered are not in a read state.
 * Jetty 12 exposes the HTTP/1.1 parser only on its {@code internal} connection class, and has no
 * setting of its own for the time a request may take to arrive.
 */
public final class RequestReadDeadline implements Connection.Listener, AutoCloseable {
    private final long deadlineNanos;
    /** Open connections, each with the time it was first seen part-way through a request (or NOT_READING). */
    private final Map<HttpConnection, Long> readingSince = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper;
    private static final long NOT_READING = Long.MIN_VALUE;

    /** Starts the sweep; add the instance as a bean of the connector whose connections it watches. */
    public RequestReadDeadline(Duration deadline) {
        this.deadlineNanos = deadline.toNanos();
        this.sweeper = DaemonThreads.scheduler("tally-http-read-deadline");
        long everyMs = Math.max(10, Math.min(250, deadline.toMillis() / 4));
        sweeper.scheduleWithFixedDelay(this::sweep, everyMs, everyMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void onOpened(Connection connection) {
        if (connection instanceof HttpConnection http) {
            readingSince.put(http, NOT_READING);
        }
    }

    @Override
    public void onClosed(Connection connection) {
        if (connection instanceof HttpConnection http) {
            readingSince.remove(http);
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        readingSince.replaceAll((connection, since) -> {
            if (!midRequest(connection.getParser())) {
                return NOT_READING;
            }
            if (since == NOT_READING) {
                return now;
            }
            if (now - since >= deadlineNanos) {
                connection.getEndPoint().close();
            }
            return since;
        });
    }

    /** Some bytes of a request arrived, but not yet all of its headers and body. */
    private static boolean midRequest(HttpParser parser) {
        return !parser.isStart() && (parser.inHeaderState() || parser.inContentState());
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
