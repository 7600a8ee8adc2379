package io.tally.processor.badinput;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A plain RESP2 connection for tests that must send what no client API sends: entries with 10,000
 * fields, repeated field names and arbitrary bytes. Replies come back as String (status), {@link Err},
 * Long, byte[] (null when nil) and List.
 */
final class RawRedis implements AutoCloseable {
    /** An error reply. */
    record Err(String message) {
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawRedis(int port) {
        try {
            socket = new Socket("127.0.0.1", port);
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Object call(Object... args) {
        List<byte[]> list = new ArrayList<>(args.length);
        for (Object a : args) {
            list.add(bytes(a));
        }
        return call(list);
    }

    Object call(List<byte[]> args) {
        try {
            out.write(('*' + Integer.toString(args.size()) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            for (byte[] a : args) {
                out.write(('$' + Integer.toString(a.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(a);
                out.write('\r');
                out.write('\n');
            }
            out.flush();
            return read();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(Object a) {
        return a instanceof byte[] b ? b : String.valueOf(a).getBytes(StandardCharsets.UTF_8);
    }

    static String str(Object reply) {
        return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(reply);
    }

    /** DUMP of every key matching {@code pattern}, by key name. */
    Map<String, String> dumpAll(String pattern) {
        Map<String, String> dump = new TreeMap<>();
        String cursor = "0";
        do {
            List<?> r = (List<?>) call("SCAN", cursor, "MATCH", pattern, "COUNT", 1000);
            cursor = str(r.get(0));
            for (Object k : (List<?>) r.get(1)) {
                Object d = call("DUMP", k);
                dump.put(str(k), d == null ? "" : Arrays.toString((byte[]) d));
            }
        } while (!cursor.equals("0"));
        return dump;
    }

    private Object read() throws IOException {
        int type = in.read();
        String line = line();
        switch (type) {
            case '+':
                return line;
            case '-':
                return new Err(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return null;
                }
                byte[] b = in.readNBytes(n);
                in.readNBytes(2);
                return b;
            }
            case '*': {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return null;
                }
                List<Object> list = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    list.add(read());
                }
                return list;
            }
            default:
                throw new IOException("unexpected reply type " + type);
        }
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != '\r') {
            if (c < 0) {
                throw new IOException("connection closed");
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
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
