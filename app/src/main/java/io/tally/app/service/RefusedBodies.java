package io.tally.app.service;

import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads and drops the body of a request refused before its body was read (413). Answering while the
 * client is still sending and then closing makes the client's TCP stack drop the answer (a reset), so a
 * client sees "connection closed" instead of the 413; reading what it sends, up to a bound, lets the
 * answer arrive. Past the bound the connection is closed anyway: that is what a body far over the limit
 * costs its sender.
 */
final class RefusedBodies {
    /** Most bytes read and dropped to deliver a refusal. */
    static final long DRAIN_LIMIT = 4L * 1024 * 1024;

    private RefusedBodies() {
    }

    static void drain(Context ctx) {
        try (InputStream in = ctx.bodyInputStream()) {
            drain(in);
        } catch (IOException | RuntimeException e) {
            // the body ended early or the client went away: the refusal stands, the connection closes
        }
    }

    /** Reads {@code in} to its end or to {@link #DRAIN_LIMIT} bytes, whichever comes first. */
    static void drain(InputStream in) throws IOException {
        byte[] buffer = new byte[8192];
        long total = 0;
        int n;
        while (total < DRAIN_LIMIT && (n = in.read(buffer)) >= 0) {
            total += n;
        }
    }
}
