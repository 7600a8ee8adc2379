package io.tally.app.service;

import io.tally.app.service.RawHttp.Reply;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Clients without a token that try to hold every connection of the service, each on a thread of its own, from the
 * address it is given, opening a new connection as soon as the last one ends. Three kinds: one sending a request
 * head one byte a second (a slowloris), one sending a whole request without a token every 500 ms on one connection
 * (401 each), one sending {@code GET /health/live} (which needs no token) every 500 ms on one connection. A connection
 * whose answer closed it is never closed by the client: it is kept open, silent, until the clients are closed, as a
 * client that ignores {@code Connection: close} would (the server has shut its side's output, but keeps the
 * connection until the client closes its own), and the thread opens a new one two seconds later. Sooner, each
 * thread would have two connections at once, and together they would fill the accept backlog too: a flood of
 * connects, which the kernel meets by dropping connects (the token holder's too, which its kernel then sends again
 * seconds later), and no rule about open connections can stop. They count what the server did to them; close the
 * instance to stop them all.
 */
final class TokenlessClients implements AutoCloseable {
    enum Kind { SLOW_HEAD, UNAUTHORIZED_REQUESTS, OPEN_PATH_REQUESTS, REQUESTS_JETTY_ANSWERS }

    /** Requests Jetty answers itself (404, 400), before any handler of the service sees them. */
    private static final String[] JETTY_ANSWERS = {
        "OPTIONS * HTTP/1.1", "CONNECT x:443 HTTP/1.1", "GET /health/live%FF HTTP/1.1"};

    private static final long REQUEST_EVERY_MS = 500;
    private static final long AFTER_A_CLOSING_ANSWER_MS = 2_000;

    private final int port;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    /** Every connection opened, closed when the clients are. */
    private final ConcurrentLinkedQueue<Socket> opened = new ConcurrentLinkedQueue<>();
    /** Answers that closed their connection, by kind. */
    private final AtomicInteger[] closingAnswers = {
        new AtomicInteger(), new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
    /** How long each slow head's connection lasted before the server closed it, in ms. */
    final ConcurrentLinkedQueue<Long> slowHeadHeldMs = new ConcurrentLinkedQueue<>();
    /** The 401 answers, and those among them that did not say {@code Connection: close}. */
    final AtomicInteger unauthorized = new AtomicInteger();
    final AtomicInteger unauthorizedKeptOpen = new AtomicInteger();
    /** Statuses other than the expected (401; 200 on the open path), and answers to slow heads. */
    final ConcurrentLinkedQueue<Integer> unexpected = new ConcurrentLinkedQueue<>();

    private TokenlessClients(int port) {
        this.port = port;
    }

    /** Starts {@code perAddress} clients from each address, of the kind each address is mapped to. */
    static TokenlessClients start(int port, Map<InetAddress, Kind> kindByAddress, int perAddress) {
        TokenlessClients clients = new TokenlessClients(port);
        kindByAddress.forEach((from, kind) -> {
            for (int i = 0; i < perAddress; i++) {
                Thread t = new Thread(() -> clients.run(kind, from), "tokenless-" + kind + "-" + from);
                t.setDaemon(true);
                clients.threads.add(t);
                t.start();
            }
        });
        return clients;
    }

    /** Connections the clients opened. */
    int opened() {
        return opened.size();
    }

    /** Answers to the clients of {@code kind} that closed their connection. */
    int closingAnswers(Kind kind) {
        return closingAnswers[kind.ordinal()].get();
    }

    private void run(Kind kind, InetAddress from) {
        while (!stop.get()) {
            Socket s;
            try {
                s = RawHttp.connectFrom(from, port, 1000);
            } catch (IOException backlogFull) {
                pause(100);
                continue;
            }
            opened.add(s);
            boolean answered;
            try {
                answered = kind == Kind.SLOW_HEAD ? slowHead(s) : requests(s, kind);
            } catch (IOException closedUnderUs) {
                answered = false;
            }
            if (answered) {
                pause(AFTER_A_CLOSING_ANSWER_MS);
            } else {
                close(s);
                pause(100); // refused by the cap per address, or closed at once: spare the test's two cores
            }
        }
    }

    /** Sends a head one byte a second until the server closes the connection; false: it answered nothing. */
    private boolean slowHead(Socket s) throws IOException {
        long openedAt = System.nanoTime();
        RawHttp.write(s, "GET /v1/counters/c HTTP/1.1\r\nHost: x\r\nX-Slow: ");
        while (!stop.get()) {
            try {
                int b = s.getInputStream().read();
                if (b >= 0) {
                    unexpected.add(0); // an answer to a head never finished
                }
                slowHeadHeldMs.add((System.nanoTime() - openedAt) / 1_000_000);
                return false;
            } catch (SocketTimeoutException stillOpen) {
                RawHttp.write(s, "a"); // one byte for each second of read timeout (1000 ms)
            }
        }
        return false;
    }

    /**
     * Sends whole requests without a token until the server closes the connection; true when an answer closed it
     * (the connection is then left open), false when the server closed it answering nothing.
     */
    private boolean requests(Socket s, Kind kind) throws IOException {
        int sent = 0;
        while (!stop.get()) {
            String line = switch (kind) {
                case UNAUTHORIZED_REQUESTS -> "GET /v1/counters/c HTTP/1.1";
                case OPEN_PATH_REQUESTS -> "GET /health/live HTTP/1.1";
                default -> JETTY_ANSWERS[sent++ % JETTY_ANSWERS.length];
            };
            RawHttp.write(s, line + "\r\nHost: x\r\n\r\n");
            Reply reply = RawHttp.readOrClosed(s);
            if (reply.status() < 0) {
                return false;
            }
            boolean expected = switch (kind) {
                case UNAUTHORIZED_REQUESTS -> reply.status() == 401;
                case OPEN_PATH_REQUESTS -> reply.status() == 200;
                default -> reply.status() == 400 || reply.status() == 404;
            };
            if (!expected) {
                unexpected.add(reply.status());
            }
            boolean closes = reply.head().toLowerCase(Locale.ROOT).contains("connection: close");
            if (reply.status() == 401) {
                unauthorized.incrementAndGet();
                if (!closes) {
                    unauthorizedKeptOpen.incrementAndGet();
                }
            }
            if (closes) {
                closingAnswers[kind.ordinal()].incrementAndGet();
                return true;
            }
            pause(REQUEST_EVERY_MS);
        }
        return false;
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(5000);
        }
        opened.forEach(TokenlessClients::close);
    }
}
