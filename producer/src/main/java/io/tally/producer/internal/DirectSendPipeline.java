package io.tally.producer.internal;

import io.tally.common.resp.ReplyParser;
import io.tally.common.resp.RespConnection;
import io.tally.common.resp.RespErrorReply;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisException;
import org.redisson.client.RedisResponseTimeoutException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One pipeline written to the producer's own connection ({@link DirectConnection}), flushed once by
 * {@link #execute()}. A stream's sends that carry an id leave as one {@code append_runs.lua} call (the
 * dedupe rule needs the script); a stream's plain sends leave as one XADD each, which costs Redis less
 * than half of what the script spends per entry (no Lua, no MessagePack), in the same order on the
 * same connection. Failures come back as the Redisson exceptions the producer already judges: an error
 * reply as {@link RedisException} with Redis's message (NOSCRIPT: nothing was written), no connection
 * as {@link RedisConnectionException} (nothing was written), and a connection lost or silent after the
 * commands were written as {@link RedisResponseTimeoutException} (outcome unknown). When only some of a
 * stream's XADDs are refused, the reply names each send's own outcome.
 */
final class DirectSendPipeline implements SendPipeline {
    /** append_runs.lua's reply: entry ids (bulk strings), then positions of duplicates (integers). */
    @SuppressWarnings("unchecked")
    private static final ReplyParser<List<Object>> REPLY = in -> (List<Object>) in.object();
    private static final byte[] XADD = "XADD".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NEW_ID = {'*'};

    private final RespConnection connection;
    private final IllegalStateException unavailable;
    private final byte[] evalsha;
    private final byte[] sha;
    private final List<CompletableFuture<List<Object>>> replies = new ArrayList<>();

    /**
     * @param connection the open connection, or null when there is none right now
     * @param unavailable why there is none (when {@code connection} is null)
     */
    DirectSendPipeline(RespConnection connection, IllegalStateException unavailable, byte[] evalsha, byte[] sha) {
        this.connection = connection;
        this.unavailable = unavailable;
        this.evalsha = evalsha;
        this.sha = sha;
    }

    @Override
    public CompletableFuture<List<Object>> add(StreamGroup group, StreamKeys keys, byte[] dedupeWindowMs) {
        CompletableFuture<List<Object>> reply;
        if (connection == null) {
            reply = CompletableFuture.failedFuture(new RedisConnectionException(unavailable.getMessage(), unavailable));
        } else if (!group.hasIdempotent()) {
            reply = xadds(group, keys.streamBytes(group.topic, group.partition));
        } else {
            Object[] shaArgs = group.evalShaArgs(sha, keys.streamBytes(group.topic, group.partition), dedupeWindowMs);
            Object[] args = new Object[shaArgs.length + 1];
            args[0] = evalsha;
            System.arraycopy(shaArgs, 0, args, 1, shaArgs.length);
            reply = connection.queue(REPLY, args).exceptionallyCompose(DirectSendPipeline::translated);
        }
        replies.add(reply);
        return reply;
    }

    /**
     * Queues one {@code XADD <stream> * <fields>} per send, in order, answered as one reply: the ids in
     * append_runs.lua's shape. If every XADD was refused the reply fails (with the first error); if only
     * some were, each of those stands in the list as its own failure, so that the producer completes
     * every send with what happened to it instead of failing entries that were written.
     */
    private CompletableFuture<List<Object>> xadds(StreamGroup group, byte[] stream) {
        List<Object[]> commands = new ArrayList<>(group.sends.size());
        for (PendingSend send : group.sends) {
            Object[] args = new Object[3 + send.fields.length];
            args[0] = XADD;
            args[1] = stream;
            args[2] = NEW_ID;
            System.arraycopy(send.fields, 0, args, 3, send.fields.length);
            commands.add(args);
        }
        return connection.queueAll(xaddReplies(commands.size()), commands)
                .exceptionallyCompose(DirectSendPipeline::translated);
    }

    /** Reads {@code n} XADD replies: ids, a refused one as its failure; throws when all were refused. */
    static ReplyParser<List<Object>> xaddReplies(int n) {
        return in -> {
            List<Object> ids = new ArrayList<>(n);
            RespErrorReply first = null;
            for (int i = 0; i < n; i++) {
                try {
                    ids.add(in.object());
                } catch (RespErrorReply refused) {
                    first = first == null ? refused : first;
                    ids.add(translate(refused));
                }
            }
            if (first != null && ids.stream().allMatch(Throwable.class::isInstance)) {
                throw first; // nothing of this stream was written
            }
            return ids;
        };
    }

    @Override
    public CompletableFuture<Integer> execute() {
        if (connection != null) {
            connection.flush();
        }
        return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).thenApply(done -> 0);
    }

    private static CompletableFuture<List<Object>> translated(Throwable failure) {
        return CompletableFuture.failedFuture(translate(failure));
    }

    /** Redis's error reply keeps its message; a lost or silent connection means the outcome is unknown. */
    private static RuntimeException translate(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        return cause instanceof RespErrorReply
                ? new RedisException(cause.getMessage())
                : new RedisResponseTimeoutException("the connection to Redis failed after the send was written ("
                + cause.getMessage() + ")");
    }
}
