package io.tally.testkit;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.PartitionTags;
import io.tally.common.internal.redis.Namespace;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The test kit's RESP2 client, shared by the tests and the benchmark's measuring side: blocking, one
 * socket, no threads of its own, and binary-safe both ways, so it sends what no well-behaved client
 * would (entries with thousands of repeated fields, invalid UTF-8, explicit ids) and reads back exactly
 * the bytes Redis holds.
 *
 * <p>Arguments are {@code byte[]} (sent as they are) or anything else (its {@code toString()} as UTF-8).
 * Replies come back as String (status), {@link Error}, Long, {@code byte[]} (bulk string), List, or
 * null; {@link #text} turns any of them into text. Commands are pipelined by {@link #send}ing several,
 * then {@link #flush}ing and {@link #read}ing their replies in order.
 *
 * <p>Not Redisson, and not common's {@code RespConnection}: their readers decode replies as UTF-8 text
 * (lossy for binary values), both limit what a command may carry, and the benchmark must not measure
 * with the machinery it measures.
 */
public final class RawRedis implements AutoCloseable {
    /** An error reply, returned (not thrown) where replies must stay aligned with their commands. */
    public record Error(String message) {
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    /**
     * Connects to {@code redis://host:port}; with {@code TALLY_REDIS_PASSWORD} set it authenticates
     * (as the URL's user, when it names one).
     */
    public RawRedis(String redisUrl) {
        URI uri = URI.create(redisUrl);
        try {
            socket = new Socket(uri.getHost(), uri.getPort() == -1 ? 6379 : uri.getPort());
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(60_000);
            out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to " + redisUrl, e);
        }
        String password = System.getenv("TALLY_REDIS_PASSWORD");
        if (password != null && !password.isEmpty()) {
            String user = uri.getUserInfo();
            call(user == null ? List.of("AUTH", password) : List.of("AUTH", user, password));
        }
    }

    /** Sends one command and returns its reply; an error reply throws {@link IllegalStateException}. */
    public Object call(Object... args) {
        return call(List.of(args));
    }

    public Object call(List<?> args) {
        Object reply = reply(args);
        if (reply instanceof Error e) {
            throw new IllegalStateException(text(args.get(0)) + ": " + e.message());
        }
        return reply;
    }

    /** {@link #call} for a command that answers with an integer. */
    public long callLong(Object... args) {
        return (Long) call(args);
    }

    /** {@link #call} for a command whose reply is wanted as text (null stays null). */
    public String callText(Object... args) {
        return text(call(args));
    }

    /**
     * The keys of an existing namespace, with the partition tags its {@code meta} names.
     *
     * @throws IllegalStateException when the namespace has no meta
     */
    public Keys namespaceKeys(String namespace) {
        List<?> meta = (List<?>) call("HMGET", Keys.meta(namespace), Namespace.PARTITIONS_FIELD, PartitionTags.FIELD);
        String partitions = text(meta.get(0));
        if (partitions == null) {
            throw new IllegalStateException("namespace '" + namespace + "' does not exist (no " + Keys.meta(namespace)
                    + ")");
        }
        return new Namespace.Meta(Integer.parseInt(partitions), text(meta.get(1)), null).keys(namespace);
    }

    /**
     * What Redis keeps for an operation id of a stream ({@code <entry id> <payload digest>}), in either
     * dedupe layout: the id's own key, else its field in the stream's dedupe buckets for {@code windowMs}
     * (the current one by Redis time, the one before and the one after, as append_runs.lua reads them);
     * null when none holds it.
     */
    public String dedupeHeld(Keys keys, int partition, String stream, String routingKey, String id, long windowMs) {
        String held = callText("GET", keys.dedupe(partition, stream, routingKey, id));
        if (held != null) {
            return held;
        }
        String field = routingKey.getBytes(StandardCharsets.UTF_8).length + ":" + routingKey + ":" + id;
        List<?> time = (List<?>) call("TIME");
        long bucket = Long.parseLong(text(time.get(0))) * 1000 / windowMs;
        for (long b : new long[]{bucket, bucket - 1, bucket + 1}) {
            if (held == null) {
                held = callText("HGET", keys.dedupeBucketPrefix(partition, stream, windowMs) + b, field);
            }
        }
        return held;
    }

    /** Sends one command and returns its reply, an error reply as an {@link Error}. */
    public Object reply(Object... args) {
        return reply(List.of(args));
    }

    public Object reply(List<?> args) {
        send(args);
        flush();
        return read();
    }

    /** Sends the commands in one write and returns their replies in order (errors as {@link Error}). */
    public List<Object> pipeline(List<? extends List<?>> commands) {
        commands.forEach(this::send);
        flush();
        List<Object> replies = new ArrayList<>(commands.size());
        for (int i = 0; i < commands.size(); i++) {
            replies.add(read());
        }
        return replies;
    }

    /** Buffers one command; {@link #flush} sends what is buffered. */
    public void send(Object... args) {
        send(List.of(args));
    }

    public void send(List<?> args) {
        try {
            writeHeader('*', args.size());
            for (Object arg : args) {
                byte[] b = bytes(arg);
                writeHeader('$', b.length);
                out.write(b);
                out.write('\r');
                out.write('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the next reply (an error reply as an {@link Error}). */
    public Object read() {
        try {
            return parse();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every key matching {@code pattern}, by SCAN. */
    public List<String> keys(String pattern) {
        List<String> keys = new ArrayList<>();
        String cursor = "0";
        do {
            List<?> reply = (List<?>) call("SCAN", cursor, "MATCH", pattern, "COUNT", 1000);
            cursor = text(reply.get(0));
            ((List<?>) reply.get(1)).forEach(k -> keys.add(text(k)));
        } while (!"0".equals(cursor));
        return keys;
    }

    /** Deletes every key matching {@code pattern}; for a caller's own namespace only. */
    public void deletePattern(String pattern) {
        List<String> keys = keys(pattern);
        for (int i = 0; i < keys.size(); i += 1000) {
            List<Object> unlink = new ArrayList<>();
            unlink.add("UNLINK");
            unlink.addAll(keys.subList(i, Math.min(keys.size(), i + 1000)));
            call(unlink);
        }
    }

    /** A field of an INFO section, e.g. {@code info("memory", "used_memory")}. */
    public String info(String section, String field) {
        for (String line : callText("INFO", section).split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1);
            }
        }
        throw new IllegalStateException("INFO " + section + " has no " + field);
    }

    /** An argument as the bytes sent. */
    public static byte[] bytes(Object arg) {
        return arg instanceof byte[] b ? b : String.valueOf(arg).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A reply as text: bulk strings decoded as UTF-8, arrays as {@code [a, b, ...]} of their elements'
     * text, null stays null.
     */
    public static String text(Object reply) {
        if (reply == null) {
            return null;
        }
        if (reply instanceof byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
        if (reply instanceof List<?> list) {
            List<String> items = new ArrayList<>(list.size());
            list.forEach(item -> items.add(String.valueOf(text(item))));
            return "[" + String.join(", ", items) + "]";
        }
        return reply.toString();
    }

    /** A flat [k1, v1, k2, v2, ...] reply as a map, names as text, values as returned. */
    public static Map<String, Object> asMap(Object reply) {
        Map<String, Object> map = new LinkedHashMap<>();
        if (reply instanceof List<?> list) {
            for (int i = 0; i + 1 < list.size(); i += 2) {
                map.put(text(list.get(i)), list.get(i + 1));
            }
        }
        return map;
    }

    /** A flat [k1, v1, k2, v2, ...] reply as pairs of text, repeated names kept (a nested array's value as null). */
    public static List<String[]> pairs(Object reply) {
        List<String[]> out = new ArrayList<>();
        if (reply instanceof List<?> list) {
            for (int i = 0; i + 1 < list.size(); i += 2) {
                Object value = list.get(i + 1);
                out.add(new String[]{text(list.get(i)), value instanceof List<?> ? null : text(value)});
            }
        }
        return out;
    }

    private void writeHeader(char type, int n) throws IOException {
        out.write(type);
        out.write(Integer.toString(n).getBytes(StandardCharsets.US_ASCII));
        out.write('\r');
        out.write('\n');
    }

    private Object parse() throws IOException {
        int type = in.read();
        if (type == -1) {
            throw new IOException("connection closed by Redis");
        }
        String line = line();
        return switch (type) {
            case '+' -> line;
            case '-' -> new Error(line);
            case ':' -> Long.parseLong(line);
            case '$' -> bulk(Integer.parseInt(line));
            case '*' -> array(Integer.parseInt(line));
            default -> throw new IOException("unexpected RESP type byte " + type);
        };
    }

    private byte[] bulk(int n) throws IOException {
        if (n < 0) {
            return null;
        }
        byte[] b = in.readNBytes(n);
        in.readNBytes(2);
        return b;
    }

    private List<Object> array(int n) throws IOException {
        if (n < 0) {
            return null;
        }
        List<Object> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(parse());
        }
        return list;
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != '\r') {
            if (c == -1) {
                throw new IOException("connection closed by Redis");
            }
            sb.append((char) c);
        }
        in.read();
        return sb.toString();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
