package io.tally.producer.internal;

import io.tally.common.internal.resp.RespConnector;
import io.tally.common.internal.resp.RespEndpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletionException;

/**
 * The producer's own connection to a standalone Redis, for its appends: opened at start (a producer that
 * cannot reach Redis fails to start, as with Redisson), replaced in the background when it breaks
 * ({@link RespConnector}). While it is being replaced, pipelines fail at once with a retriable error and
 * nothing written, so the sender never waits for a connect.
 */
final class StandaloneConnection implements DirectConnection {
    private final RespConnector connector;

    StandaloneConnection(RespEndpoint endpoint) {
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

    @Override
    public SendPipeline pipeline(byte[] evalsha, byte[] sha) {
        return DirectSendPipeline.on(connector, evalsha, sha);
    }

    @Override
    public void close() {
        connector.close();
    }
}
