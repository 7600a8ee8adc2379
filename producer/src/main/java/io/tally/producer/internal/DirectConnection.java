package io.tally.producer.internal;

import io.tally.common.internal.resp.RespConnection;
import io.tally.common.internal.resp.RespConnector;
import io.tally.common.internal.resp.RespEndpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The producer's own connection to a standalone Redis, for its appends: opened at start (a producer that
 * cannot reach Redis fails to start, as with Redisson), replaced in the background when it breaks
 * ({@link RespConnector}). While it is being replaced, pipelines fail at once with a retriable error and
 * nothing written, so the sender never waits for a connect.
 */
final class DirectConnection implements AutoCloseable {
    private final RespConnector connector;

    DirectConnection(RespEndpoint endpoint) {
        this.connector = new RespConnector(endpoint);
        try {
            connector.connection().join();
        } catch (CompletionException e) {
            connector.close();
            Throwable cause = e.getCause();
            throw new UncheckedIOException("cannot connect the producer to Redis at " + endpoint + ": "
                    + cause.getMessage(), cause instanceof IOException io ? io : new IOException(cause));
        }
    }

    /** A pipeline on the open connection, or one that fails at once while a new connection is opened. */
    SendPipeline pipeline(byte[] evalsha, byte[] sha) {
        RespConnection c = connector.openNow();
        if (c != null) {
            return new DirectSendPipeline(c, null, evalsha, sha);
        }
        return new DirectSendPipeline(null, new IllegalStateException("no connection to Redis at "
                + connector.endpoint() + " (" + whyNot() + "); reconnecting"), evalsha, sha);
    }

    private String whyNot() {
        CompletableFuture<RespConnection> c = connector.connection();
        if (!c.isCompletedExceptionally()) {
            return "connecting";
        }
        try {
            c.join();
            return "connecting";
        } catch (CompletionException e) {
            return e.getCause() == null ? e.toString() : e.getCause().getMessage();
        }
    }

    @Override
    public void close() {
        connector.close();
    }
}
