package io.tally.common.internal.resp;

import io.tally.common.internal.concurrent.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Keeps one {@link RespConnection} to an endpoint: hands out the open one, and replaces a broken one on
 * a thread of its own, so that a caller never waits for a connect unless it chooses to. After a failed
 * attempt the next one starts no sooner than {@value #RETRY_MS} ms later.
 */
public final class RespConnector implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RespConnector.class);
    public static final long RETRY_MS = 100;

    private final RespEndpoint endpoint;
    private final ExecutorService connecting = Executors.newSingleThreadExecutor(DaemonThreads.named("tally-resp-connect"));
    private CompletableFuture<RespConnection> current;
    private long failedAtNanos;

    public RespConnector(RespEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    /** The open connection, or the attempt under way; a broken or failed one is replaced. */
    public synchronized CompletableFuture<RespConnection> connection() {
        CompletableFuture<RespConnection> c = current;
        if (c != null && !c.isDone()) {
            return c;
        }
        if (c != null && !c.isCompletedExceptionally()) {
            if (c.join().isOpen()) {
                return c;
            }
            log.info("connection to {} broke; opening a new one", endpoint);
        }
        if (c != null && c.isCompletedExceptionally() && System.nanoTime() - failedAtNanos < RETRY_MS * 1_000_000) {
            return c;
        }
        CompletableFuture<RespConnection> attempt = CompletableFuture.supplyAsync(() -> {
            try {
                return RespConnection.open(endpoint);
            } catch (IOException e) {
                throw new CompletionException(new IOException("cannot connect to " + endpoint + ": " + e.getMessage(), e));
            }
        }, connecting);
        attempt.whenComplete((ok, failure) -> {
            if (failure != null) {
                synchronized (this) {
                    failedAtNanos = System.nanoTime();
                }
            }
        });
        current = attempt;
        return attempt;
    }

    /** The connection if it is open right now, else null (a new one is then being opened). */
    public RespConnection openNow() {
        CompletableFuture<RespConnection> c = connection();
        return c.isDone() && !c.isCompletedExceptionally() ? c.join() : null;
    }

    /**
     * Waits at most the endpoint's timeout for the connection to open, so that a caller's first use does
     * not fail for want of one. Returns null once it is open, else why not; opening goes on in the
     * background either way.
     */
    public String awaitOpen() {
        try {
            connection().get(endpoint.timeoutMs(), TimeUnit.MILLISECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause() != null ? e.getCause().toString() : e.toString();
        } catch (TimeoutException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /**
     * The open connection, waiting as {@link #awaitOpen()} does (at most the endpoint's timeout) for one being
     * opened; null when none is open by then, opening going on in the background. One call per use: the
     * connection is looked up once when it is open already.
     */
    public RespConnection awaitOpenConnection() {
        RespConnection c;
        try {
            c = connection().get(endpoint.timeoutMs(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        // broke since it opened: openNow starts its replacement (and finds it open only if that was quick)
        return c.isOpen() ? c : openNow();
    }

    public RespEndpoint endpoint() {
        return endpoint;
    }

    @Override
    public synchronized void close() {
        if (current != null) {
            current.thenAccept(RespConnection::close);
        }
        connecting.shutdownNow();
    }
}
