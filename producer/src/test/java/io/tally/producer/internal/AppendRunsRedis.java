package io.tally.producer.internal;

import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.resp.ReplyParser;
import io.tally.common.internal.resp.RespConnection;
import io.tally.common.internal.resp.RespEndpoint;
import io.tally.common.internal.resp.RespErrorReply;
import io.tally.common.internal.resp.RespReader;
import io.tally.testkit.RedisServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A scratch redis-server with append_runs.lua loaded, for the property tests that call the script raw:
 * calls on the RESP connection the producer uses, read back byte for byte (binary names and values must
 * not pass through text), and DUMP snapshots to prove a call changed nothing.
 */
final class AppendRunsRedis implements AutoCloseable {
    private static final LuaScript SCRIPT = LuaScript.resource("append_runs");

    private final RedisServer server;
    private final RespConnection connection;
    private byte[] sha;

    private AppendRunsRedis(RedisServer server, RespConnection connection) {
        this.server = server;
        this.connection = connection;
    }

    static AppendRunsRedis start() throws Exception {
        RedisServer server = RedisServer.start();
        RespConnection connection = null;
        try {
            connection = RespConnection.open(new RespEndpoint("127.0.0.1", server.port(), null, null, null, 30_000, null));
            AppendRunsRedis redis = new AppendRunsRedis(server, connection);
            String loaded = (String) redis.call(RespReader::object, "SCRIPT", "LOAD", SCRIPT.source());
            assertThat(loaded).isEqualTo(SCRIPT.sha());
            redis.sha = loaded.getBytes(StandardCharsets.US_ASCII);
            return redis;
        } catch (Exception | Error e) {
            if (connection != null) {
                connection.close();
            }
            server.close();
            throw e;
        }
    }

    /** The script's SHA1, as EVALSHA's argument. */
    byte[] sha() {
        return sha;
    }

    @Override
    public void close() {
        connection.close();
        server.close();
    }

    <T> T call(ReplyParser<T> parser, Object... args) throws Exception {
        return send(parser, args).get(30, TimeUnit.SECONDS);
    }

    <T> CompletableFuture<T> send(ReplyParser<T> parser, Object... args) {
        CompletableFuture<T> reply = connection.queue(parser, args);
        connection.flush();
        return reply;
    }

    long callLong(Object... args) throws Exception {
        return (Long) call(RespReader::object, args);
    }

    long nowMs() throws Exception {
        List<?> time = (List<?>) call(RespReader::object, "TIME");
        return Long.parseLong((String) time.get(0)) * 1000 + Long.parseLong((String) time.get(1)) / 1000;
    }

    /**
     * DUMP of a key; a hash kept as a hash table is given by its fields and values in order instead: a
     * read (HMGET) may move the table's incremental rehash on, which reorders DUMP's output though
     * nothing was written.
     */
    byte[] dump(String key) throws Exception {
        if ("hashtable".equals(call(RespReader::object, "OBJECT", "ENCODING", key))) {
            TreeMap<String, String> ordered = new TreeMap<>();
            hashBytes(key).forEach((field, value) -> ordered.put(hex(field), hex(value)));
            return utf8("hashtable " + ordered);
        }
        return call(AppendRunsRedis::bulkBytes, "DUMP", key);
    }

    /** DUMP of each key (null for a key that does not exist). */
    Map<String, byte[]> dumps(List<String> keys) throws Exception {
        Map<String, byte[]> out = new TreeMap<>();
        for (String key : keys) {
            out.put(key, dump(key));
        }
        return new ComparableBytesMap(out);
    }

    /** DUMP of every key whose name starts with {@code prefix}. */
    Map<String, byte[]> snapshot(String prefix) throws Exception {
        List<?> names = (List<?>) call(RespReader::object, "KEYS", prefix.replace("[", "\\[") + "*");
        return dumps(names.stream().map(String.class::cast).toList());
    }

    /** PEXPIRETIME of each key (-1 none, -2 gone). */
    Map<String, Long> expiries(Iterable<String> keys) throws Exception {
        Map<String, Long> out = new TreeMap<>();
        for (String key : keys) {
            out.put(key, expiry(key));
        }
        return out;
    }

    long expiry(String key) throws Exception {
        return callLong("PEXPIRETIME", key);
    }

    Map<String, String> hash(String key) throws Exception {
        List<?> flat = (List<?>) call(RespReader::object, "HGETALL", key);
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < flat.size(); i += 2) {
            out.put((String) flat.get(i), (String) flat.get(i + 1));
        }
        return out;
    }

    /** HGETALL with binary field names and values. */
    Map<byte[], byte[]> hashBytes(String key) throws Exception {
        List<byte[]> flat = call(in -> {
            int n = in.arrayLength();
            List<byte[]> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(bulkBytes(in));
            }
            return out;
        }, "HGETALL", key);
        Map<byte[], byte[]> out = new HashMap<>();
        for (int i = 0; i < flat.size(); i += 2) {
            out.put(flat.get(i), flat.get(i + 1));
        }
        return out;
    }

    /** XRANGE: per entry its id, then its field names and values in order. */
    List<List<byte[]>> entries(String stream) throws Exception {
        return call(in -> {
            int n = in.arrayLength();
            List<List<byte[]>> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                in.arrayLength();
                List<byte[]> entry = new ArrayList<>();
                entry.add(bulkBytes(in));
                int fields = in.arrayLength();
                for (int f = 0; f < fields; f++) {
                    entry.add(bulkBytes(in));
                }
                out.add(entry);
            }
            return out;
        }, "XRANGE", stream, "-", "+");
    }

    private static byte[] bulkBytes(RespReader in) throws IOException {
        int start = in.bulk();
        return start < 0 ? null : Arrays.copyOfRange(in.buffer(), start, start + in.lastLength());
    }

    /** For {@code exceptionally}: an error reply as the reply; any other failure fails the test. */
    static Object errorOf(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof RespErrorReply) {
            return cause;
        }
        throw new AssertionError("not an error reply: " + cause, cause);
    }

    // --- arguments ---

    /** A MessagePack array of strings, as a run's values argument. */
    static byte[] pack(List<byte[]> values) {
        return pack(values, -1, null);
    }

    /** As {@link #pack(List)}, with the element at {@code index} the MessagePack {@code raw} instead. */
    static byte[] pack(List<byte[]> values, int index, byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] header = new byte[MsgPack.arrayHeaderSize()];
        MsgPack.writeArrayHeader(header, 0, values.size());
        out.writeBytes(header);
        for (int i = 0; i < values.size(); i++) {
            out.writeBytes(i == index ? raw : packString(values.get(i)));
        }
        return out.toByteArray();
    }

    /** The MessagePack string of {@code value}. */
    static byte[] packString(byte[] value) {
        byte[] element = new byte[MsgPack.packedSize(value)];
        MsgPack.writeString(element, 0, value);
        return element;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    /** DUMPs by key name, equal when their bytes are (AssertJ's isEqualTo calls equals). */
    static final class ComparableBytesMap extends TreeMap<String, byte[]> {
        ComparableBytesMap(Map<String, byte[]> m) {
            super(m);
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Map<?, ?> other) || other.size() != size()) {
                return false;
            }
            for (Map.Entry<String, byte[]> e : entrySet()) {
                Object theirs = other.get(e.getKey());
                if (!other.containsKey(e.getKey()) || !(theirs == null || theirs instanceof byte[])
                        || !Arrays.equals(e.getValue(), (byte[]) theirs)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int hashCode() {
            return keySet().hashCode();
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("{");
            forEach((k, v) -> sb.append(k).append('=').append(v == null ? "nil" : hex(v)).append(", "));
            return sb.append('}').toString();
        }
    }
}
