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
 * address it is given; each opens a new connection as soon as the server closes its last, as an attacker would.
 * Three kinds: one sending a request head one byte a second (a slowloris), one sending a whole request without a
 * token every 500 ms on one connection (401 each), one sending {@code GET /health/live} (which needs no token) every
 * 500 ms on one connection. They count what the server did to them; close the instance to stop them all.
 */
final class TokenlessClients implements AutoCloseable {
    enum Kind { SLOW_HEAD, UNAUTHORIZED_REQUESTS, OPEN_PATH_REQUESTS }

    private static final long REQUEST_EVERY_MS = 500;

    private final int port;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Socket> open = new ArrayList<>();
    /** Connections the clients opened. */
    final AtomicInteger opened = new AtomicInteger();
    /** Connections the server closed, by kind. */
    private final AtomicInteger[] closedByServer = {new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
    /** How long each slow head's connection lasted before the server closed it, in ms. */
    final ConcurrentLinkedQueue<Long> slowHeadHeldMs = new ConcurrentLinkedQueue<>();
    /** The 401 answers, and those among them that did not say {@code Connection: close}. */
    final AtomicInteger unauthorized = new AtomicInteger();
    final AtomicInteger unauthorizedKeptOpen = new AtomicInteger();
    /** Statuses other than the expected (401; 200 on the open path). */
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

    int closedByServer(Kind kind) {
        return closedByServer[kind.ordinal()].get();
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
            synchronized (open) {
                open.add(s);
            }
            opened.incrementAndGet();
            long openedAt = System.nanoTime();
            boolean answered;
            try (s) {
                answered = kind == Kind.SLOW_HEAD ? slowHead(s) : requests(s, kind);
            } catch (IOException closedUnderUs) {
                answered = false;
            }
            synchronized (open) {
                open.remove(s);
            }
            if (!stop.get()) {
                closedByServer[kind.ordinal()].incrementAndGet();
                if (kind == Kind.SLOW_HEAD) {
                    slowHeadHeldMs.add((System.nanoTime() - openedAt) / 1_000_000);
                }
                if (!answered) {
                    pause(100); // refused by the cap per address, or closed at once: spare the test's two cores
                }
            }
        }
    }

    /** Sends a head one byte a second until the server closes the connection; false: it answered nothing. */
    private boolean slowHead(Socket s) throws IOException {
        RawHttp.write(s, "GET /v1/counters/c HTTP/1.1\r\nHost: x\r\nX-Slow: ");
        while (!stop.get()) {
            try {
                if (s.getInputStream().read() < 0) {
                    return false;
                }
                return true; // an answer to a head never finished: not expected, counted as one
            } catch (SocketTimeoutException stillOpen) {
                RawHttp.write(s, "a"); // one byte for each second of read timeout (1000 ms)
            }
        }
        return false;
    }

    /** Sends whole requests without a token until the server closes the connection; false: it answered none. */
    private boolean requests(Socket s, Kind kind) throws IOException {
        String path = kind == Kind.UNAUTHORIZED_REQUESTS ? "/v1/counters/c" : "/health/live";
        int expected = kind == Kind.UNAUTHORIZED_REQUESTS ? 401 : 200;
        boolean answered = false;
        while (!stop.get()) {
            RawHttp.write(s, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
            Reply reply = RawHttp.readOrClosed(s);
            if (reply.status() < 0) {
                return answered;
            }
            answered = true;
            if (reply.status() != expected) {
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
                return s.getInputStream().read() < 0; // the server's close follows its answer
            }
            pause(REQUEST_EVERY_MS);
        }
        return answered;
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        synchronized (open) {
            for (Socket s : open) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
        for (Thread t : threads) {
            t.join(5000);
        }
    }
}
