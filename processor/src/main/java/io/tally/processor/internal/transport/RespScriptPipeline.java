package io.tally.processor.internal.transport;

import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.resp.ReplyParser;
import io.tally.common.internal.resp.RespConnection;
import io.tally.common.internal.resp.RespConnector;
import org.redisson.client.RedisConnectionException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A round's scripts as EVALSHA commands on the hot path's direct connection, flushed together by
 * {@link #execute()}. Encoding writes each argument straight into the connection's buffer and the
 * reply is read as a small list, instead of the general client's command objects, codecs and
 * decoders: that client's share was about half of the processor's CPU at moderate rates.
 *
 * <p>Without an open connection (Redis down, or the replacement still connecting) every call fails at
 * once as a connection error, so the loop backs off instead of waiting for a connect.
 */
public final class RespScriptPipeline implements ScriptPipeline {
    /** The script's reply as a list; a single value (a script that returns a number) as a list of one. */
    @SuppressWarnings("unchecked")
    static final ReplyParser<List<Object>> LIST = in -> {
        Object reply = in.object();
        return reply instanceof List<?> list ? (List<Object>) list : java.util.Collections.singletonList(reply);
    };

    private final RespConnector connector;
    private final RespConnection connection;
    private final List<CompletableFuture<List<Object>>> replies = new ArrayList<>();

    RespScriptPipeline(RespConnector connector) {
        this.connector = connector;
        // A connection being opened (after Redis came back) is waited for, at most the reply timeout, as the
        // round's reads wait for it: failing the round at once would put the loop into its back-off (up to
        // 5 s) for a connection that was a few milliseconds from open.
        this.connection = connector.awaitOpenConnection();
    }

    @Override
    public CompletableFuture<List<Object>> eval(LuaScript script, List<Object> keys, Object... args) {
        CompletableFuture<List<Object>> out = new CompletableFuture<>();
        replies.add(out);
        if (connection == null) {
            out.completeExceptionally(new RedisConnectionException("no connection to Redis at " + connector.endpoint()
                    + " yet (connecting); script " + script.name() + " not sent"));
            return out;
        }
        Object[] command = new Object[3 + keys.size() + args.length];
        command[0] = "EVALSHA";
        command[1] = script.sha();
        command[2] = Integer.toString(keys.size());
        int at = 3;
        for (Object key : keys) {
            command[at++] = key;
        }
        for (Object arg : args) {
            command[at++] = arg;
        }
        connection.queue(LIST, command).whenComplete((reply, failure) -> {
            if (failure == null) {
                out.complete(reply);
            } else {
                out.completeExceptionally(RespFailures.asRedisException("script " + script.name(), connector.endpoint(),
                        failure));
            }
        });
        return out;
    }

    /** Whether the connection was open when this pipeline was made (calls fail at once otherwise). */
    boolean connected() {
        return connection != null;
    }

    @Override
    public CompletableFuture<Void> execute() {
        if (connection != null) {
            connection.flush();
        }
        return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new));
    }
}
