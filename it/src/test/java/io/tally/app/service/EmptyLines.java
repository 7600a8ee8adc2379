package io.tally.app.service;

import java.io.IOException;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static io.tally.app.service.RawHttp.write;

/**
 * Clients that send nothing but empty lines ("\r\n" every 300 ms) on connections of their own. HTTP/1.1 parsers
 * skip empty lines before a request line (RFC 9112 §2.2), so such a connection never starts a request, yet is
 * never silent. Each stops sending once a write fails (the server closed its connection); close it to stop them all.
 */
final class EmptyLines implements AutoCloseable {
    static final long EVERY_MS = 300;

    private final List<Socket> sockets = new ArrayList<>();
    private final ScheduledExecutorService senders = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "empty-lines");
        t.setDaemon(true);
        return t;
    });

    /** Opens {@code count} connections to {@code port} and starts sending empty lines on each. */
    static EmptyLines open(int port, int count) throws IOException {
        EmptyLines lines = new EmptyLines();
        for (int i = 0; i < count; i++) {
            Socket s = new Socket("127.0.0.1", port);
            s.setSoTimeout(10_000);
            lines.sockets.add(s);
            lines.senders.scheduleWithFixedDelay(() -> lines.send(s), 0, EVERY_MS, TimeUnit.MILLISECONDS);
        }
        return lines;
    }

    List<Socket> sockets() {
        return sockets;
    }

    private void send(Socket s) {
        if (s.isClosed()) {
            return;
        }
        try {
            write(s, "\r\n");
        } catch (IOException closedByServer) {
            // the read side tells the test; nothing more to send here
        }
    }

    @Override
    public void close() throws IOException {
        senders.shutdownNow();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
