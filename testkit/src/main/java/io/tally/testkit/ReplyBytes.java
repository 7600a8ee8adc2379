package io.tally.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The exact bytes Redis answers commands with, for tests of RESP parsers that must see what Redis
 * really sends. The commands go out on a plain socket followed by QUIT; everything Redis writes until
 * it closes the connection, less QUIT's {@code +OK}, is the replies: no parser decides where a reply
 * ends. Arguments are {@code byte[]} (sent as they are) or anything else (its {@code toString()} as UTF-8).
 */
public final class ReplyBytes {
    private static final byte[] QUIT_REPLY = "+OK\r\n".getBytes(StandardCharsets.US_ASCII);

    private ReplyBytes() {
    }

    /** The reply to one command. */
    public static byte[] of(String redisUrl, Object... command) {
        return ofPipeline(redisUrl, List.of(List.of(command)));
    }

    /** The replies to several commands sent in one write, back to back as Redis wrote them. */
    public static byte[] ofPipeline(String redisUrl, List<? extends List<?>> commands) {
        URI uri = URI.create(redisUrl);
        try (Socket socket = new Socket(uri.getHost(), uri.getPort() == -1 ? 6379 : uri.getPort())) {
            socket.setSoTimeout(30_000);
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            for (List<?> command : commands) {
                write(request, command);
            }
            write(request, List.of("QUIT"));
            OutputStream out = socket.getOutputStream();
            out.write(request.toByteArray());
            out.flush();
            byte[] all = socket.getInputStream().readAllBytes();
            int end = all.length - QUIT_REPLY.length;
            if (end < 0 || !Arrays.equals(all, end, all.length, QUIT_REPLY, 0, QUIT_REPLY.length)) {
                throw new IllegalStateException("Redis did not end with QUIT's +OK: "
                        + new String(all, Math.max(0, all.length - 200), Math.min(all.length, 200), StandardCharsets.UTF_8));
            }
            return Arrays.copyOf(all, end);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record replies from " + redisUrl, e);
        }
    }

    private static void write(ByteArrayOutputStream out, List<?> command) {
        out.writeBytes(("*" + command.size() + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (Object arg : command) {
            byte[] b = arg instanceof byte[] bytes ? bytes : arg.toString().getBytes(StandardCharsets.UTF_8);
            out.writeBytes(("$" + b.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(b);
            out.writeBytes(new byte[]{'\r', '\n'});
        }
    }
}
