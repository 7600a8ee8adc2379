package io.tally.producer.internal;

import io.tally.common.internal.resp.ReplyParser;
import io.tally.common.internal.resp.RespConnection;
import io.tally.common.internal.resp.RespConnector;
import io.tally.common.internal.resp.RespErrorReply;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisException;
import org.redisson.client.RedisResponseTimeoutException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One pipeline of {@code append_runs.lua} calls written to one of the producer's own connections
 * ({@link DirectConnection}: the standalone Redis, or one master of a Cluster), flushed once by
 * {@link #execute()}. Failures come back as the Redisson
 * exceptions the producer already judges: an error reply as {@link RedisException} with Redis's
 * message, typed by {@link RedisErrorReplies} (NOSCRIPT, MOVED, ASK: nothing was written), no connection as {@link NotSentException} (nothing
 * was written), and a connection lost or silent after the calls were written as
 * {@link RedisResponseTimeoutException} (outcome unknown).
 */
final class DirectSendPipeline implements SendPipeline {
    /** append_runs.lua's reply: entry ids (bulk strings), then positions of duplicates (integers). */
    @SuppressWarnings("unchecked")
    static final ReplyParser<List<Object>> REPLY = in -> (List<Object>) in.object();

    private final RespConnection connection;
    private final IllegalStateException unavailable;
    private final byte[] evalsha;
    private final byte[] sha;
    private final List<CompletableFuture<List<Object>>> replies = new ArrayList<>();

    /**
     * @param connection the open connection, or null when there is none right now
     * @param unavailable why there is none (when {@code connection} is null)
     */
    private DirectSendPipeline(RespConnection connection, IllegalStateException unavailable, byte[] evalsha, byte[] sha) {
        this.connection = connection;
        this.unavailable = unavailable;
        this.evalsha = evalsha;
        this.sha = sha;
    }

    /** A pipeline on the connector's open connection, or one that fails at once while a new connection is opened. */
    static DirectSendPipeline on(RespConnector connector, byte[] evalsha, byte[] sha) {
        RespConnection c = connector.openNow();
        if (c != null) {
            return new DirectSendPipeline(c, null, evalsha, sha);
        }
        return new DirectSendPipeline(null, new IllegalStateException("no connection to Redis at "
                + connector.endpoint() + " (" + whyNot(connector) + "); reconnecting"), evalsha, sha);
    }

    private static String whyNot(RespConnector connector) {
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
    public CompletableFuture<List<Object>> add(StreamGroup group, StreamKeys keys, byte[] dedupeWindowMs) {
        CompletableFuture<List<Object>> reply;
        if (connection == null) {
            reply = CompletableFuture.failedFuture(new NotSentException(unavailable.getMessage(), unavailable));
        } else {
            Object[] shaArgs = group.evalShaArgs(sha, keys.streamBytes(group.topic, group.partition),
                    keys.producersBytes(group.topic, group.partition), dedupeWindowMs);
            Object[] args = new Object[shaArgs.length + 1];
            args[0] = evalsha;
            System.arraycopy(shaArgs, 0, args, 1, shaArgs.length);
            reply = connection.queue(REPLY, args).exceptionallyCompose(DirectSendPipeline::translated);
        }
        replies.add(reply);
        return reply;
    }

    @Override
    public CompletableFuture<Void> execute() {
        if (connection != null) {
            connection.flush();
        }
        return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new));
    }

    private static CompletableFuture<List<Object>> translated(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        RuntimeException e = cause instanceof RespErrorReply
                ? RedisErrorReplies.of(cause.getMessage())
                : new RedisResponseTimeoutException("the connection to Redis failed after the send was written ("
                + cause.getMessage() + ")");
        return CompletableFuture.failedFuture(e);
    }
}
