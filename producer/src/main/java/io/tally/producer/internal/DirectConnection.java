package io.tally.producer.internal;

import io.tally.common.resp.RespConnection;
import io.tally.common.resp.RespEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The producer's own connection to a standalone Redis, for its appends: opened at start (a producer that
 * cannot reach Redis fails to start, as with Redisson), replaced in the background when it breaks. While
 * it is being replaced, pipelines fail at once with a retriable error and nothing written, so the sender
 * never waits for a connect.
 */
final class DirectConnection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DirectConnection.class);

    private final RespEndpoint endpoint;
    private final ExecutorService connector = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "tally-producer-connect");
        t.setDaemon(true);
        return t;
    });
    private volatile RespConnection current;
    private volatile boolean reconnecting;
    private volatile String lastFailure = "not connected yet";

    DirectConnection(RespEndpoint endpoint) {
        this.endpoint = endpoint;
        try {
            current = RespConnection.open(endpoint);
        } catch (IOException e) {
            connector.shutdownNow();
            throw new UncheckedIOException("cannot connect the producer to Redis at " + endpoint + ": " + e.getMessage(), e);
        }
    }

    /** A pipeline on the open connection, or one that fails at once while a new connection is opened. */
    SendPipeline pipeline(byte[] evalsha, byte[] sha) {
        RespConnection c = current;
        if (c != null && c.isOpen()) {
            return new DirectSendPipeline(c, null, evalsha, sha);
        }
        reconnect();
        return new DirectSendPipeline(null, new IllegalStateException("no connection to Redis at " + endpoint
                + " (" + lastFailure + "); reconnecting"), evalsha, sha);
    }

    private synchronized void reconnect() {
        if (reconnecting) {
            return;
        }
        reconnecting = true;
        connector.execute(() -> {
            try {
                current = RespConnection.open(endpoint);
                log.info("producer: connected to Redis at {} again", endpoint);
            } catch (IOException e) {
                lastFailure = e.getMessage();
                sleepQuietly(100); // the next pipeline starts the next attempt
            } finally {
                reconnecting = false;
            }
        });
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        RespConnection c = current;
        if (c != null) {
            c.close();
        }
        connector.shutdownNow();
    }
}
