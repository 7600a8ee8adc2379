package io.tally.testkit.chaos;

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
import java.util.List;

/**
 * A blocking, binary-safe RESP2 connection for writing what no well-behaved client would: entries
 * with thousands of (repeated) fields, invalid UTF-8, megabyte values, explicit ids. Arguments are
 * {@code byte[]} (sent as they are) or anything else (its {@code toString()} as UTF-8); bulk replies
 * come back as {@code byte[]}. Deliberately not Redisson or a Lua {@code unpack}: both limit how many
 * arguments one command may carry.
 */
public final class RawRedis implements AutoCloseable {
    /** An error reply, returned (not thrown) by {@link #pipeline} so that replies stay aligned. */
    public record Error(String message) {
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    public RawRedis(String redisUrl) {
        URI uri = URI.create(redisUrl);
        try {
            socket = new Socket(uri.getHost(), uri.getPort() == -1 ? 6379 : uri.getPort());
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(30_000);
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

    /** Sends one command and returns its reply; an error reply throws. */
    public Object call(Object... args) {
        return call(List.of(args));
    }

    public Object call(List<?> args) {
        Object reply = pipeline(List.of(args)).get(0);
        if (reply instanceof Error e) {
            throw new IllegalStateException(text(args.get(0)) + ": " + e.message());
        }
        return reply;
    }

    /** Sends the commands in one write and returns their replies in order (errors as {@link Error}). */
    public List<Object> pipeline(List<? extends List<?>> commands) {
        try {
            for (List<?> command : commands) {
                writeHeader('*', command.size());
                for (Object arg : command) {
                    byte[] b = arg instanceof byte[] bytes ? bytes : arg.toString().getBytes(StandardCharsets.UTF_8);
                    writeHeader('$', b.length);
                    out.write(b);
                    out.write('\r');
                    out.write('\n');
                }
            }
            out.flush();
            List<Object> replies = new ArrayList<>(commands.size());
            for (int i = 0; i < commands.size(); i++) {
                replies.add(parse());
            }
            return replies;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A reply (or argument) as text: bulk strings decoded as UTF-8, null stays null. */
    public static String text(Object reply) {
        if (reply == null) {
            return null;
        }
        return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : reply.toString();
    }

    /** A flat [k1, v1, k2, v2, ...] reply as pairs of text. */
    public static List<String[]> pairs(Object reply) {
        List<String[]> out = new ArrayList<>();
        if (reply instanceof List<?> list) {
            for (int i = 0; i + 1 < list.size(); i += 2) {
                out.add(new String[]{text(list.get(i)), list.get(i + 1) instanceof List<?> ? null : text(list.get(i + 1))});
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
                in.readNBytes(2);
                return b;
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
