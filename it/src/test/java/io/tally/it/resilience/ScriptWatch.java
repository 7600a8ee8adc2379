package io.tally.it.resilience;

import io.tally.common.internal.redis.LuaScript;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Which scripts a client loads or runs: an admin connection in {@code MONITOR} mode maps each EVALSHA's SHA to the Tally
 * script resource with that SHA, or to a client's own script ({@link #CLIENT}) whose SCRIPT LOAD it saw. {@link #drain} waits until the monitor has shown the admin's
 * {@code INFO commandstats} of a window's end, so everything sent before it has been seen.
 */
final class ScriptWatch implements AutoCloseable {
    /** Prefix of a script that is not Tally's (the client's own, such as Redisson's expire), by SHA. */
    static final String CLIENT = "client:";
    private static final Pattern SCRIPT_LOAD = Pattern.compile("\"script\" \"load\" \"(.*)\"$", Pattern.CASE_INSENSITIVE);
    private static final Pattern EVALSHA = Pattern.compile("\"evalsha\" \"([0-9a-f]{40})\"", Pattern.CASE_INSENSITIVE);

    private final Socket socket;
    private final Map<String, String> nameBySha;
    private final Set<String> seen = new TreeSet<>();
    private final Map<String, String> bodyBySha = new HashMap<>();
    private final Set<String> ran = new TreeSet<>();
    private final Thread reader;
    private static final String MARKER = "\"INFO\" \"commandstats\"";
    private long markers;

    ScriptWatch(int port, String user, String password, Set<String> scriptNames) {
        this.nameBySha = scriptNames.stream().collect(Collectors.toMap(n -> LuaScript.resource(n).sha(), Function.identity()));
        try {
            this.socket = new Socket("127.0.0.1", port);
            OutputStream out = socket.getOutputStream();
            out.write(("AUTH " + user + " " + password + "\r\nMONITOR\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            this.reader = new Thread(() -> read(in), "acl-script-watch");
            reader.setDaemon(true);
            reader.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void read(BufferedReader in) {
        try {
            for (String line; (line = in.readLine()) != null; ) {
                Matcher m = EVALSHA.matcher(line);
                synchronized (this) {
                    while (m.find()) {
                        String sha = m.group(1).toLowerCase(java.util.Locale.ROOT);
                        seen.add(nameBySha.getOrDefault(sha, CLIENT + sha));
                        ran.add(nameBySha.getOrDefault(sha, CLIENT + sha));
                    }
                    Matcher load = SCRIPT_LOAD.matcher(line);
                    if (load.find()) {
                        String body = unescape(load.group(1));
                        String sha = sha1(body);
                        bodyBySha.put(sha, body);
                        seen.add(nameBySha.getOrDefault(sha, CLIENT + sha));
                    }
                    if (line.contains(MARKER)) {
                        markers++;
                    }
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // the socket was closed
        }
    }

    /**
     * Waits until the monitor showed the {@code n}th {@code INFO commandstats}, then returns the scripts
     * loaded (SCRIPT LOAD: a client loads what it may run, Tally at start) or run since the last drain.
     */
    synchronized Set<String> drain(long n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (markers < n) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                throw new IllegalStateException("MONITOR did not show INFO commandstats #" + n);
            }
            wait(left);
        }
        Set<String> names = new TreeSet<>(seen);
        seen.clear();
        return names;
    }

    /** Scripts run (EVALSHA) so far. */
    synchronized Set<String> ran() {
        return new TreeSet<>(ran);
    }

    /** The source of a script {@link #drain} named: a client's script as it was loaded, or null if never seen. */
    synchronized String clientSource(String name) {
        return bodyBySha.get(name.substring(CLIENT.length()));
    }

    /** Undoes MONITOR's quoting of an argument (backslash escapes and \\xHH). */
    private static String unescape(String quoted) {
        StringBuilder b = new StringBuilder(quoted.length());
        for (int i = 0; i < quoted.length(); i++) {
            char c = quoted.charAt(i);
            if (c != '\\' || i + 1 == quoted.length()) {
                b.append(c);
                continue;
            }
            char e = quoted.charAt(++i);
            switch (e) {
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'a' -> b.append('\u0007');
                case 'b' -> b.append('\b');
                case 'x' -> {
                    b.append((char) Integer.parseInt(quoted.substring(i + 1, i + 3), 16));
                    i += 2;
                }
                default -> b.append(e);
            }
        }
        return b.toString();
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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
