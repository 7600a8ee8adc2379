package io.tally.common.internal.resp;

import io.tally.common.internal.concurrent.DaemonThreads;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One pipelined RESP2 connection with a reader thread of its own: {@link #send} writes a command and
 * returns a future that the reader completes with the reply, parsed by the caller's {@link ReplyParser}
 * straight from the socket buffer. It carries the hot paths with a standalone Redis (the processor's
 * stream reads and apply scripts, the producer's appends), where a general client's command objects
 * and object-per-element decoding cost several times what Redis spends serving them.
 *
 * <p>Once broken (I/O error, timeout, protocol error), every reply in flight fails with the cause and
 * the connection stays closed; the owner opens a new one.
 */
public final class RespConnection implements AutoCloseable {
    private final RespEndpoint endpoint;
    private final Socket socket;
    private final OutputStream out;
    private final RespReader reader;
    private final LinkedBlockingQueue<Request<?>> inFlight = new LinkedBlockingQueue<>();
    private final Thread readerThread;
    private volatile IOException broken;
    private final byte[] digits = new byte[10];

    /** A command in flight: how to read its reply, where to put it, and when it was queued (nanoTime). */
    private record Request<T>(ReplyParser<T> parser, CompletableFuture<T> reply, long queuedNanos) {
        void parse(RespReader in) throws IOException {
            T value;
            try {
                value = parser.parse(in);
            } catch (RespErrorReply error) {
                reply.completeExceptionally(error);
                return;
            }
            reply.complete(value);
        }
    }

    private RespConnection(RespEndpoint endpoint, Socket socket) throws IOException {
        this.endpoint = endpoint;
        this.socket = socket;
        this.out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
        this.reader = new RespReader(socket.getInputStream());
        this.readerThread = DaemonThreads.named("tally-resp-" + endpoint.host() + ":" + endpoint.port())
                .newThread(this::readReplies);
    }

    /** Connects, authenticates and names the connection; throws when any step fails. */
    public static RespConnection open(RespEndpoint endpoint) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.setReceiveBufferSize(1 << 20);
            socket.connect(new InetSocketAddress(endpoint.host(), endpoint.port()), endpoint.timeoutMs());
            socket.setSoTimeout(endpoint.timeoutMs());
            if (endpoint.tls() != null) {
                SSLSocket tls = (SSLSocket) endpoint.tls().createSocket(socket, endpoint.host(), endpoint.port(), true);
                SSLParameters params = tls.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS");
                tls.setSSLParameters(params);
                tls.startHandshake();
                socket = tls;
            }
            RespConnection connection = new RespConnection(endpoint, socket);
            connection.handshake();
            connection.readerThread.start();
            return connection;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** AUTH and CLIENT SETNAME, answered synchronously before the reader thread starts. */
    private void handshake() throws IOException {
        if (endpoint.password() != null && !endpoint.password().isEmpty()) {
            List<String> auth = new ArrayList<>(List.of("AUTH"));
            if (endpoint.user() != null) {
                auth.add(endpoint.user());
            }
            auth.add(endpoint.password());
            writeCommand(encode(auth.toArray(String[]::new)));
            try {
                reader.object();
            } catch (RespErrorReply e) {
                throw new RespErrorReply("AUTH at " + endpoint + " failed: " + e.getMessage());
            }
        }
        if (endpoint.clientName() != null) {
            writeCommand(encode("CLIENT", "SETNAME", endpoint.clientName()));
            reader.object();
        }
    }

    /**
     * Sends a command (already encoded with {@link #encode}) and returns its reply as the parser reads
     * it. Called by one thread at a time; replies complete on the reader thread, in order.
     */
    public synchronized <T> CompletableFuture<T> send(byte[] command, ReplyParser<T> parser) {
        CompletableFuture<T> reply = enqueue(parser, () -> out.write(command));
        flush();
        return reply;
    }

    /**
     * Queues a command without flushing it: arguments are byte arrays (written as they are) or Strings
     * (UTF-8). Call {@link #flush()} after the last command of a pipeline.
     */
    public synchronized <T> CompletableFuture<T> queue(ReplyParser<T> parser, Object... args) {
        return enqueue(parser, () -> writeArgs(args));
    }

    /** Writes one command of bytes to the buffer. */
    @FunctionalInterface
    private interface CommandWriter {
        void write() throws IOException;
    }

    private <T> CompletableFuture<T> enqueue(ReplyParser<T> parser, CommandWriter command) {
        CompletableFuture<T> reply = new CompletableFuture<>();
        IOException failure = broken;
        if (failure != null) {
            reply.completeExceptionally(failure);
            return reply;
        }
        inFlight.add(new Request<>(parser, reply, System.nanoTime()));
        try {
            command.write();
        } catch (IOException e) {
            fail(e);
        }
        if (broken != null) {
            fail(broken); // broke while this request was queued: fail it too
        }
        return reply;
    }

    /** Sends what {@link #queue} buffered. */
    public synchronized void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            fail(e);
        }
    }

    private void writeArgs(Object[] args) throws IOException {
        out.write('*');
        writeLength(args.length);
        for (Object arg : args) {
            byte[] b = arg instanceof byte[] bytes ? bytes : arg.toString().getBytes(StandardCharsets.UTF_8);
            out.write('$');
            writeLength(b.length);
            out.write(b);
            out.write('\r');
            out.write('\n');
        }
    }

    /** A non-negative decimal and CRLF. */
    private void writeLength(int n) throws IOException {
        int at = digits.length;
        do {
            digits[--at] = (byte) ('0' + n % 10);
            n /= 10;
        } while (n > 0);
        out.write(digits, at, digits.length - at);
        out.write('\r');
        out.write('\n');
    }

    private void writeCommand(byte[] command) throws IOException {
        out.write(command);
        out.flush();
    }

    public boolean isOpen() {
        return broken == null;
    }

    private void readReplies() {
        try {
            while (true) {
                if (inFlight.isEmpty() && !awaitReplyWhileIdle()) {
                    fail(new EOFException("Redis at " + endpoint + " closed the connection"
                            + (inFlight.isEmpty() ? " while it was idle" : "")));
                    return;
                }
                Request<?> next = inFlight.take();
                try {
                    next.parse(reader);
                } catch (IOException | RuntimeException e) {
                    next.reply().completeExceptionally(e);
                    throw e;
                }
            }
        } catch (SocketTimeoutException e) {
            fail(new SocketTimeoutException("no reply from Redis at " + endpoint + " within " + endpoint.timeoutMs() + " ms"));
        } catch (IOException e) {
            fail(e);
        } catch (RuntimeException e) {
            fail(new IOException("reading from Redis at " + endpoint + " failed", e));
        } catch (InterruptedException e) {
            fail(new IOException("connection to Redis at " + endpoint + " closed"));
        }
    }

    /**
     * With nothing in flight, waits on the socket rather than on the queue: Redis closing an idle
     * connection (its {@code timeout} setting, a proxy's idle limit) is then seen at once, and the next
     * command goes on a new connection instead of being written into a closed one, where its outcome
     * could not be known. True when a reply has begun to arrive; false when Redis closed the connection.
     */
    private boolean awaitReplyWhileIdle() throws IOException {
        while (true) {
            try {
                return reader.awaitReply();
            } catch (SocketTimeoutException quiet) {
                Request<?> first = inFlight.peek();
                if (first != null) {
                    return awaitReplyOf(first);
                }
            }
        }
    }

    /**
     * The idle wait timed out after {@code first} went out during it: its reply gets what is left of its
     * own timeout, not a new one.
     */
    private boolean awaitReplyOf(Request<?> first) throws IOException {
        long leftMs = endpoint.timeoutMs() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - first.queuedNanos());
        if (leftMs <= 0) {
            throw new SocketTimeoutException("no reply within " + endpoint.timeoutMs() + " ms");
        }
        socket.setSoTimeout((int) leftMs);
        try {
            return reader.awaitReply();
        } finally {
            socket.setSoTimeout(endpoint.timeoutMs());
        }
    }

    /** Marks the connection broken, closes it and fails every reply in flight; safe from any thread. */
    private void fail(IOException cause) {
        if (broken == null) {
            broken = cause;
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a broken socket: nothing more to do
        }
        Request<?> r;
        while ((r = inFlight.poll()) != null) {
            r.reply().completeExceptionally(broken);
        }
    }

    @Override
    public void close() {
        fail(new IOException("connection to Redis at " + endpoint + " closed"));
        readerThread.interrupt();
    }

    /** A command as RESP2 bytes: an array of bulk strings. */
    public static byte[] encode(String... args) {
        List<byte[]> parts = new ArrayList<>(args.length);
        int size = 0;
        for (String arg : args) {
            byte[] b = arg.getBytes(StandardCharsets.UTF_8);
            parts.add(b);
            size += b.length + 16;
        }
        byte[] out = new byte[size + 16];
        int at = put(out, 0, "*" + args.length + "\r\n");
        for (byte[] b : parts) {
            at = put(out, at, "$" + b.length + "\r\n");
            System.arraycopy(b, 0, out, at, b.length);
            at += b.length;
            out[at++] = '\r';
            out[at++] = '\n';
        }
        return Arrays.copyOf(out, at);
    }

    private static int put(byte[] out, int at, String ascii) {
        for (int i = 0; i < ascii.length(); i++) {
            out[at++] = (byte) ascii.charAt(i);
        }
        return at;
    }
}
