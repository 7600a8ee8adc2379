package io.tally.it.resilience;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One plain-socket connection of a test's admin user to its own Redis, parsing whole replies. It sends
 * nothing on its own (no keep-alive, no probe), so that a test can tell its commands from the client's in
 * {@code INFO commandstats}; and ACL commands that carry a password never appear on a command line.
 */
final class AdminLink implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private AdminLink(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** A connection as the default user (before a test disables it). */
    static AdminLink open(int port) {
        try {
            return new AdminLink(new Socket("127.0.0.1", port));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static AdminLink open(int port, String user, String password) {
        AdminLink link = open(port);
        link.call("AUTH", user, password);
        return link;
    }

    /** Sends one command; a simple or bulk string as String, an integer as Long, an array as List. */
    synchronized Object call(String... args) {
        try {
            ByteArrayOutputStream cmd = new ByteArrayOutputStream();
            cmd.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.UTF_8));
            for (String a : args) {
                byte[] b = a.getBytes(StandardCharsets.UTF_8);
                cmd.writeBytes(("$" + b.length + "\r\n").getBytes(StandardCharsets.UTF_8));
                cmd.writeBytes(b);
                cmd.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
            }
            out.write(cmd.toByteArray());
            out.flush();
            return reply();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Commands counted since the last {@code CONFIG RESETSTAT}, as {@code INFO commandstats} names them
     * ({@code xgroup|create}), with their calls; commands run inside scripts count too.
     */
    Map<String, Long> commandCalls() {
        Map<String, Long> calls = new TreeMap<>();
        for (String line : ((String) call("INFO", "commandstats")).split("\r\n")) {
            if (line.startsWith("cmdstat_")) {
                String name = line.substring("cmdstat_".length(), line.indexOf(':'));
                long n = 0;
                for (String field : line.substring(line.indexOf(':') + 1).split(",")) {
                    if (field.startsWith("calls=") || field.startsWith("failed_calls=")) {
                        n += Long.parseLong(field.substring(field.indexOf('=') + 1));
                    }
                }
                calls.put(name, n);
            }
        }
        return calls;
    }

    /** {@code ACL LOG}: one map per entry (count, reason, context, object, username, ...). */
    List<Map<String, Object>> aclLog() {
        List<Map<String, Object>> entries = new ArrayList<>();
        for (Object e : (List<?>) call("ACL", "LOG")) {
            List<?> kv = (List<?>) e;
            Map<String, Object> m = new LinkedHashMap<>();
            for (int i = 0; i + 1 < kv.size(); i += 2) {
                m.put(String.valueOf(kv.get(i)), kv.get(i + 1));
            }
            entries.add(m);
        }
        return entries;
    }

    /** The hash at {@code key}, field to value. */
    Map<String, String> hgetall(String key) {
        List<?> flat = (List<?>) call("HGETALL", key);
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            m.put((String) flat.get(i), (String) flat.get(i + 1));
        }
        return m;
    }

    private Object reply() throws IOException {
        String line = line();
        char type = line.charAt(0);
        String rest = line.substring(1);
        switch (type) {
            case '+':
                return rest;
            case '-':
                throw new IllegalStateException("Redis answered: " + rest);
            case ':':
                return Long.parseLong(rest);
            case '$': {
                int n = Integer.parseInt(rest);
                if (n < 0) {
                    return null;
                }
                byte[] b = in.readNBytes(n + 2);
                return new String(b, 0, n, StandardCharsets.UTF_8);
            }
            case '*': {
                int n = Integer.parseInt(rest);
                if (n < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    items.add(reply());
                }
                return items;
            }
            default:
                throw new IllegalStateException("unexpected reply line: " + line);
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\n') {
            if (c == -1) {
                throw new IOException("connection closed by Redis");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a test connection
        }
    }
}
