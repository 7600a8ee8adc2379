package io.tally.app.http;

import io.tally.common.internal.concurrent.DaemonThreads;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Ends a request that takes longer than the deadline to arrive. Jetty's idle timeout only notices
 * silence, so a client that sends one header byte a second would hold its connection for ever; this sweep
 * looks at each connection's parser a few times per deadline and acts on the ones that have been part-way
 * through the same request since the deadline ago. A request starts with its first byte, empty lines ahead of
 * its request line included (more than the one {@link RequestBoundary} lets pass): the parser skips them and
 * stays at its start, so a client sending only empty lines would otherwise never start a request, and further ones
 * do not postpone the deadline. Connections that wait between requests without a byte are left to the idle
 * timeout; requests being answered are not in a read state. A request is told from the next one by the count of
 * requests whose headers the connection has taken in, not by a sweep seeing the connection between them: a client
 * that sends its next request as soon as it has the answer may never be seen between two.
 *
 * <p>A request still sending its headers has no handler to answer it: its connection is closed. A request whose
 * handler is reading its body is told first, the way Jetty delivers its own idle timeout: the handler's read, once
 * it waits for bytes, fails with {@link Expired} while the connection can still take an answer (a batch says what
 * it wrote); told while busy between reads, Jetty would fail the whole exchange, answer included. The connection is
 * closed if the request is still arriving {@code answerGrace} after it was told, or after the deadline when its
 * handler never waited for bytes meanwhile; with no grace, at the deadline.
 * Jetty 12 exposes the HTTP/1.1 parser only on its {@code internal} connection class, and has no setting of its
 * own for the time a request may take to arrive.
 */
public final class RequestReadDeadline implements Connection.Listener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RequestReadDeadline.class);
    private static final long NONE = Long.MIN_VALUE;

    private final Duration deadline;
    private final long deadlineNanos;
    private final long answerGraceNanos;
    /**
     * Open connections, each with its last request boundary, the request it was last seen part-way through, since
     * when, and when it was told.
     */
    private final Map<HttpConnection, Reading> reading = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper;

    /**
     * Starts the sweep; add the instance as a bean of the connector whose connections it watches.
     *
     * @param deadline    longest time from a request's first byte to its last
     * @param answerGrace how long a handler told of the deadline may take to answer before its connection is closed
     */
    public RequestReadDeadline(Duration deadline, Duration answerGrace) {
        this.deadline = deadline;
        this.deadlineNanos = deadline.toNanos();
        this.answerGraceNanos = answerGrace.toNanos();
        this.sweeper = DaemonThreads.scheduler("tally-http-read-deadline");
        long everyMs = Math.max(10, Math.min(250, deadline.toMillis() / 4));
        sweeper.scheduleWithFixedDelay(this::sweep, everyMs, everyMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void onOpened(Connection connection) {
        if (connection instanceof HttpConnection http) {
            reading.put(http, Reading.idle(RequestBoundary.opened(http, System.nanoTime())));
        }
    }

    @Override
    public void onClosed(Connection connection) {
        if (connection instanceof HttpConnection http) {
            reading.remove(http);
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        reading.replaceAll((connection, state) -> {
            try {
                return next(connection, state, now);
            } catch (RuntimeException e) {
                // the sweep must outlive one connection's failure: a task that throws is never run again
                log.warn("read deadline: checking a connection failed ({}); checking it again next sweep", e.toString());
                return state;
            }
        });
    }

    /** What the sweep does with one connection, and its state until the next sweep. */
    private Reading next(HttpConnection connection, Reading last, long now) {
        RequestBoundary boundary = last.boundary.next(connection, now);
        Reading state = last.at(boundary);
        HttpParser parser = connection.getParser();
        // empty lines ahead of a request line are its first bytes: the parser skips them and stays at its start
        if (!midRequest(parser) && !boundary.bytesAheadOfARequest(connection)) {
            return Reading.idle(boundary);
        }
        long request = requestNumber(connection, parser);
        if (state.since == NONE || request != state.request) {
            return new Reading(boundary, now, NONE, request);
        }
        if (now - state.since < deadlineNanos) {
            return state;
        }
        if (state.toldAt != NONE) {
            if (now - state.toldAt >= answerGraceNanos) {
                connection.getEndPoint().close();
            }
            return state;
        }
        if (now - state.since - deadlineNanos < answerGraceNanos) {
            if (!connection.getEndPoint().isFillInterested()) {
                return state; // a handler busy between reads is told when it next waits for bytes, so it can answer
            }
            // false: a handler waits for the body and its read fails now (Jetty's idle timeout path); true: none has it
            if (!connection.onIdleExpired(new Expired(deadline))) {
                return new Reading(boundary, state.since, now, state.request);
            }
        }
        connection.getEndPoint().close();
        return state;
    }

    /**
     * The number of the request the connection is part-way through: Jetty counts a request once its headers are in,
     * so one still sending them is the next. Jetty counts it just before its parser leaves the headers, so a sweep
     * in between takes it for the next one: the deadline of that request then starts again, never runs on into
     * another's.
     */
    private static long requestNumber(HttpConnection connection, HttpParser parser) {
        return parser.inHeaderState() ? connection.getMessagesIn() + 1 : connection.getMessagesIn();
    }

    /** Some bytes of a request arrived, but not yet all of its headers and body. */
    private static boolean midRequest(HttpParser parser) {
        return !parser.isStart() && (parser.inHeaderState() || parser.inContentState());
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }

    /**
     * A connection's last request boundary; when it was first seen part-way through request number
     * {@code request}, and when its handler was told; or NONE.
     */
    private record Reading(RequestBoundary boundary, long since, long toldAt, long request) {
        static Reading idle(RequestBoundary boundary) {
            return new Reading(boundary, NONE, NONE, 0);
        }

        Reading at(RequestBoundary next) {
            return next == boundary ? this : new Reading(next, since, toldAt, request);
        }
    }

    /** The failure of a body read whose request passed the deadline: the connection can still take an answer. */
    public static final class Expired extends TimeoutException {
        private final Duration deadline;

        Expired(Duration deadline) {
            super("the request did not arrive within " + deadline.toMillis() + " ms");
            this.deadline = deadline;
        }

        /** The deadline the request passed. */
        public Duration deadline() {
            return deadline;
        }
    }
}
