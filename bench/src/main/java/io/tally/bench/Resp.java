package io.tally.bench;

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
 * A minimal RESP2 connection for the bench's own measuring and pre-filling: commands are buffered,
 * sent by {@link #flush()} and their replies read in order, so a caller pipelines by writing many
 * commands before reading. Deliberately not Redisson: the measuring side must stay cheap and must
 * not share a client (or its threads) with what it measures.
 */
final class Resp implements AutoCloseable {
    /** An error reply, returned (not thrown) so that pipelined replies stay aligned. */
    record Error(String message) {
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private int unread;

    Resp(String redisUrl) {
        URI uri = URI.create(redisUrl);
        try {
            socket = new Socket(uri.getHost(), uri.getPort() == -1 ? 6379 : uri.getPort());
            socket.setTcpNoDelay(true);
            out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to " + redisUrl, e);
        }
        String password = System.getenv("TALLY_REDIS_PASSWORD");
        if (password != null && !password.isEmpty()) {
            String user = uri.getUserInfo();
            Object reply = user == null ? call("AUTH", password) : call("AUTH", user, password);
            if (reply instanceof Error e) {
                throw new IllegalStateException("AUTH failed: " + e.message());
            }
        }
    }

    /** Buffers one command. */
    void send(String... args) {
        try {
            writeHeader('*', args.length);
            for (String arg : args) {
                byte[] b = arg.getBytes(StandardCharsets.UTF_8);
                writeHeader('$', b.length);
                out.write(b);
                out.write('\r');
                out.write('\n');
            }
            unread++;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void send(List<String> args) {
        send(args.toArray(String[]::new));
    }

    void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the next reply: String, Long, List, null or {@link Error}. */
    Object read() {
        try {
            unread--;
            return parse();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends one command and returns its reply; fails on an error reply. */
    Object call(String... args) {
        send(args);
        flush();
        Object reply = read();
        if (reply instanceof Error e) {
            throw new IllegalStateException(String.join(" ", args[0]) + ": " + e.message());
        }
        return reply;
    }

    long callLong(String... args) {
        return (Long) call(args);
    }

    int unread() {
        return unread;
    }

    /** A flat [k1, v1, k2, v2, ...] reply as a map (values as returned). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object reply) {
        Map<String, Object> map = new LinkedHashMap<>();
        if (reply instanceof List<?> list) {
            for (int i = 0; i + 1 < list.size(); i += 2) {
                map.put(String.valueOf(list.get(i)), list.get(i + 1));
            }
        }
        return map;
    }

    /** A field of an INFO reply, e.g. {@code info("memory", "used_memory")}. */
    String info(String section, String field) {
        String text = (String) call("INFO", section);
        for (String line : text.split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1);
            }
        }
        throw new IllegalStateException("INFO " + section + " has no " + field);
    }

    double redisCpuSeconds() {
        return Double.parseDouble(info("cpu", "used_cpu_sys")) + Double.parseDouble(info("cpu", "used_cpu_user"));
    }

    long usedMemory() {
        return Long.parseLong(info("memory", "used_memory"));
    }

    /** Deletes every key matching {@code pattern} (the bench's own namespaces only). */
    void deletePattern(String pattern) {
        String cursor = "0";
        do {
            List<?> reply = (List<?>) call("SCAN", cursor, "MATCH", pattern, "COUNT", "1000");
            cursor = (String) reply.get(0);
            List<?> keys = (List<?>) reply.get(1);
            if (!keys.isEmpty()) {
                List<String> cmd = new ArrayList<>();
                cmd.add("UNLINK");
                keys.forEach(k -> cmd.add((String) k));
                call(cmd.toArray(String[]::new));
            }
        } while (!"0".equals(cursor));
    }

    private void writeHeader(char type, int n) throws IOException {
        out.write(type);
        out.write(Integer.toString(n).getBytes(StandardCharsets.US_ASCII));
        out.write('\r');
        out.write('\n');
    }

    private Object parse() throws IOException {
        int type = in.read();
        switch (type) {
            case '+':
                return line();
            case '-':
                return new Error(line());
            case ':':
                return Long.parseLong(line());
            case '$': {
                int n = Integer.parseInt(line());
                if (n < 0) {
                    return null;
                }
                byte[] b = in.readNBytes(n);
                in.read();
                in.read();
                return new String(b, StandardCharsets.UTF_8);
            }
            case '*': {
                int n = Integer.parseInt(line());
                if (n < 0) {
                    return null;
                }
                List<Object> list = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    list.add(parse());
                }
                return list;
            }
            case -1:
                throw new IOException("connection closed by Redis");
            default:
                throw new IOException("unexpected RESP type byte " + type);
        }
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
