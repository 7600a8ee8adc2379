package io.tally.app.service;

import io.javalin.http.Context;
import jakarta.servlet.ServletInputStream;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads and drops the body of a request refused before its body was read to its end (413). Answering while
 * the client is still sending and then closing makes the client's TCP stack drop the answer (a reset), so a
 * client sees "connection closed" instead of the 413; reading what it sends, up to a bound, lets the answer
 * arrive. Past the bound, or once the client pauses (a body left open must not hold the answer back), the
 * connection is closed anyway: that is what a body far over the limit costs its sender. A client that sent
 * {@code Expect: 100-continue} has sent no body yet: nothing is read, so it is never asked for.
 */
final class RefusedBodies {
    /** Most bytes read and dropped to deliver a refusal. */
    static final long DRAIN_LIMIT = 4L * 1024 * 1024;
    /** A client that sends nothing for this long has sent what it had: the answer goes out. */
    static final long QUIET_MS = 500;
    private static final long POLL_MS = 10;

    private RefusedBodies() {
    }

    static void drain(Context ctx) {
        if (expectsContinue(ctx)) {
            // Reading would send "100 Continue", asking for the body only to drop it: the client waits for the
            // answer instead, and sends nothing.
            return;
        }
        try (InputStream in = ctx.bodyInputStream()) {
            drain(in);
        } catch (IOException | RuntimeException e) {
            // the body ended early or the client went away: the refusal stands, the connection closes
        }
    }

    private static boolean expectsContinue(Context ctx) {
        String expect = ctx.header("Expect");
        return expect != null && expect.trim().equalsIgnoreCase("100-continue");
    }

    /**
     * Reads {@code in} to its end, to {@link #DRAIN_LIMIT} bytes, or until the client has sent nothing for
     * {@link #QUIET_MS}, whichever comes first.
     *
     * @return whether the body was read to its end (else the connection cannot carry another request)
     */
    static boolean drain(InputStream in) throws IOException {
        if (!(in instanceof ServletInputStream body)) {
            return drainBlocking(in);
        }
        byte[] buffer = new byte[8192];
        long total = 0;
        long lastByte = System.nanoTime();
        while (total < DRAIN_LIMIT && !body.isFinished()) {
            // available() reads what has arrived without blocking, so a body left open cannot hold the answer
            int ready = body.available();
            if (ready > 0) {
                int n = body.read(buffer, 0, Math.min(ready, buffer.length));
                if (n < 0) {
                    return true;
                }
                total += n;
                lastByte = System.nanoTime();
            } else if ((System.nanoTime() - lastByte) / 1_000_000 >= QUIET_MS) {
                return false;
            } else {
                pause();
            }
        }
        return body.isFinished();
    }

    private static boolean drainBlocking(InputStream in) throws IOException {
        byte[] buffer = new byte[8192];
        long total = 0;
        int n;
        while (total < DRAIN_LIMIT) {
            if ((n = in.read(buffer)) < 0) {
                return true;
            }
            total += n;
        }
        return false;
    }

    private static void pause() throws IOException {
        try {
            Thread.sleep(POLL_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while dropping a refused body", e);
        }
    }
}
