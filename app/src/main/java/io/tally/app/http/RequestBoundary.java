package io.tally.app.http;

import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.server.internal.HttpConnection;

/**
 * The last request boundary a sweep saw on a connection: its open, or the end of its latest request and answer;
 * with the bytes it had read by then. Time between requests counts from here, not from the connection's last
 * byte: HTTP/1.1 parsers skip empty lines before a request line (RFC 9112 §2.2), so a client sending "\r\n" every
 * few hundred milliseconds is never silent, yet never starts a request. An exchange starts once a request's head
 * has arrived, not at its first byte: a head still arriving leaves the boundary where it was, so the time a
 * connection takes to deliver a whole head counts from here too. It ends when the answer has been sent: the parser
 * returns to its start, or closes when the answer closed the connection (Jetty then shuts its output and waits for
 * the client to close its side, as long as the idle timeout). The end of an exchange is where a sweep first
 * sees the connection out of one (or sees its counts of requests taken in or answered move), so a boundary is seen
 * up to one sweep late, which only gives a connection more time.
 *
 * @param messagesIn  requests whose headers the connection had taken in
 * @param messagesOut answers it had begun
 * @param bytesIn     bytes it had read
 * @param atNanos     when the sweep saw it ({@link System#nanoTime()})
 * @param inExchange  the connection had taken in a request's head and was part-way through its body or answer then
 */
record RequestBoundary(long messagesIn, long messagesOut, long bytesIn, long atNanos, boolean inExchange) {
    /**
     * Empty lines a client may send between requests before they count as the start of the next: one, which old
     * clients sent after a POST body and RFC 9112 §2.2 asks servers to accept.
     */
    private static final long ONE_EMPTY_LINE = 2;

    /** The boundary of a connection that has just opened. */
    static RequestBoundary opened(HttpConnection connection, long now) {
        return new RequestBoundary(connection.getMessagesIn(), connection.getMessagesOut(), connection.getBytesIn(),
                now, false);
    }

    /**
     * This boundary, or one at {@code now} if the connection is part-way through an exchange, was when this one was
     * seen, or has taken in or answered a request since.
     */
    RequestBoundary next(HttpConnection connection, long now) {
        long in = connection.getMessagesIn();
        long out = connection.getMessagesOut();
        boolean exchanging = in != out || !betweenExchanges(connection.getParser());
        if (!exchanging && !inExchange && in == messagesIn && out == messagesOut) {
            return this;
        }
        return new RequestBoundary(in, out, connection.getBytesIn(), now, exchanging);
    }

    /**
     * The parser waits for a request head (none yet, part of one, or empty lines), or has closed after an answer that
     * closed the connection. Jetty counts a request in once its head is parsed; the parser then leaves its head for
     * the body or the end of the request, and returns to its start (or closes) once the request is answered.
     */
    static boolean betweenExchanges(HttpParser parser) {
        return parser.inHeaderState() || parser.isClose() || parser.isClosed();
    }

    /** How long ago the boundary was seen. */
    long nanosSince(long now) {
        return now - atNanos;
    }

    /**
     * Since this boundary, which {@link #next} just returned, the connection has read more than one empty line that
     * no request has taken: bytes its parser skipped ahead of the next request line, or has yet to parse.
     */
    boolean bytesAheadOfARequest(HttpConnection connection) {
        return !inExchange && connection.getBytesIn() - bytesIn > ONE_EMPTY_LINE;
    }
}
