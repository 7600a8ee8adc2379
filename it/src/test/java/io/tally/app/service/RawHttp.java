package io.tally.app.service;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * HTTP/1.1 spoken by hand over a {@link Socket}, for tests that need what an HTTP client hides: a request sent in
 * parts, a connection held open, or whether the server closed it without answering. Socket timeouts stay the
 * caller's: each test sets its own.
 */
final class RawHttp {
    private RawHttp() {
    }

    /** An answer read off a socket: status line and headers, then its body. */
    record Reply(int status, String head, String body) {
    }

    /** A socket from {@code local} to the server on {@code port}, reads bounded by {@code soTimeoutMs}. */
    static Socket connectFrom(InetAddress local, int port, int soTimeoutMs) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(local, 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(soTimeoutMs);
        return s;
    }

    static void write(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
    }

    /** The next answer on {@code s}; an IOException when the connection closes (or resets) before one. */
    static Reply read(Socket s) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        if (!readHead(s.getInputStream(), head)) {
            throw new IOException("connection closed without an answer; got: " + head);
        }
        return withBody(s.getInputStream(), head.toString(StandardCharsets.US_ASCII));
    }

    /**
     * The next answer on {@code s}; a Reply with status -1 when the connection closes, resets or times out before
     * one, so a test can assert on it as on any status.
     */
    static Reply readOrClosed(Socket s) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        boolean answered;
        try {
            answered = readHead(s.getInputStream(), head);
        } catch (IOException resetOrTimedOut) {
            answered = false;
        }
        if (!answered) {
            return new Reply(-1, "connection closed without an answer after: " + head, "");
        }
        return withBody(s.getInputStream(), head.toString(StandardCharsets.US_ASCII));
    }

    /**
     * Sends {@code request} and tells whether the server then closed the connection (or reset it) answering
     * nothing; false when it is still open, silent, once the socket's timeout passes.
     */
    static boolean closedWithoutAnswer(Socket s, String request) throws IOException {
        try {
            write(s, request);
            return s.getInputStream().read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    /** Reads until the server closes the connection (or resets it); a SocketTimeoutException while it is open. */
    static void drainUntilClosed(Socket s) throws IOException {
        try {
            while (s.getInputStream().read(new byte[4096]) >= 0) {
                // the answer, if any
            }
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException reset) {
            // closed
        }
    }

    /** Reads status line and headers into {@code head} up to the blank line; false when the stream ends first. */
    private static boolean readHead(InputStream in, ByteArrayOutputStream head) throws IOException {
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                return false;
            }
            head.write(b);
        }
        return true;
    }

    /**
     * The body after {@code head}: Content-Length bytes, or, for an answer larger than the server's buffer on a
     * connection it closes after it (no Content-Length then), all bytes until it closes.
     */
    private static Reply withBody(InputStream in, String head) throws IOException {
        int length = -1;
        boolean closes = false;
        for (String line : head.split("\r\n")) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(line.indexOf(':') + 1).strip());
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                closes = true;
            }
        }
        byte[] body = length >= 0 ? in.readNBytes(length) : closes ? in.readAllBytes() : new byte[0];
        return new Reply(Integer.parseInt(head.substring(9, 12)), head, new String(body, StandardCharsets.UTF_8));
    }
}
