package io.tally.processor.resilience;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Sends one command to a test's own Redis over a plain socket and returns the first reply line. Used
 * for ACL commands that carry a password, which must not appear on a redis-cli command line.
 */
final class Resp {
    private Resp() {
    }

    static String send(int port, String... args) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return command(s, args);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** AUTH as a user on a fresh connection, then one command. */
    static String sendAuthenticated(int port, String user, String password, String... args) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            String auth = command(s, "AUTH", user, password);
            if (!auth.equals("+OK")) {
                return auth;
            }
            return command(s, args);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String command(Socket s, String... args) throws IOException {
        {
            StringBuilder cmd = new StringBuilder("*").append(args.length).append("\r\n");
            for (String a : args) {
                byte[] b = a.getBytes(StandardCharsets.UTF_8);
                cmd.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
            }
            OutputStream out = s.getOutputStream();
            out.write(cmd.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            if (line.length() > 0 && line.charAt(0) == '*' && !line.toString().equals("*0")) {
                // an array (e.g. ACL LOG): keep the rest as raw text for the failure message
                sleepQuietly();
                byte[] rest = new byte[Math.min(in.available(), 8192)];
                int n = in.read(rest, 0, rest.length);
                line.append(' ').append(new String(rest, 0, Math.max(n, 0), StandardCharsets.UTF_8)
                        .replace("\r\n", " "));
            }
            return line.toString();
        }
    }
}
