package io.tally.processor.internal.apply;

import io.tally.processor.internal.batch.*;
import io.tally.processor.internal.transport.*;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.ProtocolVersion;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The hot path over Lettuce, for the lettuce-drain spike: one connection (ByteArrayCodec, RESP2, manual
 * flushing) carries the partitions' XREADGROUP reads and the rounds' EVALSHA pipelines, as the direct
 * path's one connection does. Reads are parsed by {@link LettuceStreamReadOutput} into the structures
 * the direct parser fills; scripts take the KEYS and ARGV that {@link ApplyScripts} builds. Neither
 * reads nor scripts are written until {@link Pipeline#execute()} flushes the connection, so a round
 * (its applies and its reads) goes out in one write.
 */
final class LettuceHotPath implements AutoCloseable {
    private static final ByteArrayCodec CODEC = ByteArrayCodec.INSTANCE;

    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> connection;
    private final RedisAsyncCommands<byte[], byte[]> commands;
    private final Reads reads;

    /**
     * @param redisUrl a standalone Redis ({@code redis://host:port})
     * @param password Redis's password, or null
     */
    LettuceHotPath(String redisUrl, String password, Keys keys, int partitions, String consumer) {
        RedisURI uri = RedisURI.create(redisUrl);
        if (password != null && !password.isEmpty()) {
            uri.setAuthentication(password.toCharArray());
        }
        uri.setClientName("tally-hot-lettuce:" + consumer);
        client = RedisClient.create(uri);
        // RESP2 as the direct path speaks it; Lettuce's default command timeouts stay on (a hot path needs them)
        client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP2).build());
        connection = client.connect(CODEC);
        connection.setAutoFlushCommands(false);
        commands = connection.async();
        reads = new Reads(keys, partitions, consumer);
    }

    StreamReads reads() {
        return reads;
    }

    /** A new, empty pipeline for one round; its {@code execute} also sends the reads queued since the last. */
    ScriptPipeline pipeline() {
        return new Pipeline();
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown();
    }

    /** XREADGROUP of a partition's two streams, queued on the connection until the round is flushed. */
    private final class Reads implements StreamReads {
        private final String consumer;
        private final byte[][] opsKeys;
        private final byte[][] eventsKeys;
        private final CounterNames[] names;

        Reads(Keys keys, int partitions, String consumer) {
            this.consumer = consumer;
            opsKeys = new byte[partitions][];
            eventsKeys = new byte[partitions][];
            names = new CounterNames[partitions];
            for (int p = 0; p < partitions; p++) {
                opsKeys[p] = keys.ops(p).getBytes(StandardCharsets.UTF_8);
                eventsKeys[p] = keys.events(p).getBytes(StandardCharsets.UTF_8);
                names[p] = new CounterNames(p, partitions);
            }
        }

        @Override
        public CompletableFuture<PartitionRead> readNew(int partition, int count) {
            CommandArgs<byte[], byte[]> args = new CommandArgs<>(CODEC).add("GROUP").add(Keys.GROUP).add(consumer)
                    .add("COUNT").add(count).add("STREAMS").addKey(opsKeys[partition]).addKey(eventsKeys[partition])
                    .add(">").add(">");
            LettuceStreamReadOutput output = new LettuceStreamReadOutput(opsKeys[partition], eventsKeys[partition],
                    names[partition]);
            return commands.dispatch(CommandType.XREADGROUP, output, args).toCompletableFuture();
        }
    }

    /** A round's EVALSHA calls, queued on the connection and flushed together. */
    private final class Pipeline implements ScriptPipeline {
        private final List<CompletableFuture<List<Object>>> replies = new ArrayList<>();

        @Override
        public CompletableFuture<List<Object>> eval(LuaScript script, List<Object> keys, Object... args) {
            CommandArgs<byte[], byte[]> command = new CommandArgs<>(CODEC).add(script.sha()).add(keys.size());
            for (Object key : keys) {
                // as keys, so that a Cluster connection routes the call by its first key's slot
                command.addKey(key instanceof byte[] bytes ? bytes : key.toString().getBytes(StandardCharsets.UTF_8));
            }
            for (Object arg : args) {
                add(command, arg);
            }
            CompletableFuture<List<Object>> reply = commands.dispatch(CommandType.EVALSHA,
                    new LettuceScriptReplyOutput(), command).toCompletableFuture();
            replies.add(reply);
            return reply;
        }

        /** As the direct path writes an argument: bytes as they are, anything else as its text in UTF-8. */
        private static void add(CommandArgs<byte[], byte[]> command, Object arg) {
            if (arg instanceof byte[] bytes) {
                command.add(bytes);
            } else if (arg instanceof Integer || arg instanceof Long) {
                command.add(((Number) arg).longValue());
            } else {
                command.add(arg.toString());
            }
        }

        @Override
        public CompletableFuture<Void> execute() {
            connection.flushCommands();
            return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new));
        }
    }
}
