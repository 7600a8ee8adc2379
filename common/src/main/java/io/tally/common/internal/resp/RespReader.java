package io.tally.common.internal.resp;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads RESP2 replies from a stream with a buffer of its own, handing out bulk strings as ranges of
 * that buffer instead of objects. A range stays valid until the next read: a caller takes what it
 * needs from one bulk string before it reads the next.
 *
 * <p>A reply that has not fully arrived blocks in the stream's read until the rest does. Bytes that
 * are not RESP2 throw {@link RespProtocolException} naming what was wrong; so does a length beyond
 * {@link #MAX_BULK_LENGTH}, before anything is allocated for it.
 */
public final class RespReader {
    private static final int INITIAL_BUFFER = 1 << 20;
    /** Longest bulk string read: Redis's own limit on a string (proto-max-bulk-len's default, 512 MB). */
    static final int MAX_BULK_LENGTH = 512 << 20;
    /** Elements an array reply's list is made with before they arrive: a bad count cannot allocate much. */
    private static final int MAX_INITIAL_CAPACITY = 1024;

    private final InputStream in;
    private byte[] buf = new byte[INITIAL_BUFFER];
    private int pos;
    private int limit;
    private int lastLength;

    public RespReader(InputStream in) {
        this.in = in;
    }

    /** The buffer that the offsets returned by {@link #bulk()} point into. */
    public byte[] buffer() {
        return buf;
    }

    /**
     * Reads an array header.
     *
     * @return the number of elements, or -1 for a null array
     * @throws RespErrorReply when the reply is an error
     */
    public int arrayLength() throws IOException {
        byte type = next();
        if (type != '*') {
            throw unexpected(type, "an array");
        }
        return arrayCount();
    }

    /**
     * Reads a bulk string and returns the offset of its first byte in {@link #buffer()}; its length is
     * {@link #lastLength()}. A null bulk string returns -1.
     */
    public int bulk() throws IOException {
        byte type = next();
        if (type != '$') {
            throw unexpected(type, "a bulk string");
        }
        long length = lineNumber();
        if (length == -1) {
            lastLength = -1;
            return -1;
        }
        if (length < 0 || length > MAX_BULK_LENGTH) {
            throw new RespProtocolException("bulk string length " + length + " is not between -1 and " + MAX_BULK_LENGTH);
        }
        int n = (int) length;
        require(n + 2);
        int start = pos;
        if (buf[start + n] != '\r' || buf[start + n + 1] != '\n') {
            throw new RespProtocolException("bulk string of " + n + " bytes is not followed by CRLF (wrong length?)");
        }
        pos += n + 2;
        lastLength = n;
        return start;
    }

    /** Length of the bulk string {@link #bulk()} returned last (-1 after a null). */
    public int lastLength() {
        return lastLength;
    }

    /**
     * Reads any single reply as objects: simple and bulk strings as String (UTF-8), integers as Long,
     * arrays as List, nulls as null; an error reply, also one inside an array (read to its end), is
     * thrown as {@link RespErrorReply}. For small replies; large ones are better read field by field.
     */
    public Object object() throws IOException {
        byte type = next();
        switch (type) {
            case '+' -> {
                return line();
            }
            case ':' -> {
                return integer();
            }
            case '$' -> {
                pos--;
                int start = bulk();
                return start < 0 ? null : new String(buf, start, lastLength, StandardCharsets.UTF_8);
            }
            case '*' -> {
                int n = arrayCount();
                if (n < 0) {
                    return null;
                }
                List<Object> list = new ArrayList<>(Math.min(n, MAX_INITIAL_CAPACITY));
                RespErrorReply error = null;
                for (int i = 0; i < n; i++) {
                    try {
                        list.add(object());
                    } catch (RespErrorReply e) {
                        error = error == null ? e : error; // read the rest, so the next reply starts in step
                    }
                }
                if (error != null) {
                    throw error;
                }
                return list;
            }
            default -> throw unexpected(type, "a reply");
        }
    }

    /**
     * Skips one reply of any kind (used for stream entry fields nobody needs). An error reply, also one
     * inside an array (skipped to its end, so the next reply starts in step), is thrown as
     * {@link RespErrorReply}.
     */
    public void skip() throws IOException {
        byte type = next();
        switch (type) {
            case '+', ':' -> line();
            case '$' -> {
                pos--;
                bulk();
            }
            case '*' -> {
                int n = arrayCount();
                RespErrorReply error = null;
                for (int i = 0; i < n; i++) {
                    try {
                        skip();
                    } catch (RespErrorReply e) {
                        error = error == null ? e : error;
                    }
                }
                if (error != null) {
                    throw error;
                }
            }
            default -> throw unexpected(type, "a reply");
        }
    }

    private byte next() throws IOException {
        require(1);
        byte type = buf[pos++];
        if (type == '-') {
            throw new RespErrorReply(line());
        }
        return type;
    }

    /** An array's element count: -1 (a null array) or up to {@link Integer#MAX_VALUE}. */
    private int arrayCount() throws IOException {
        long n = lineNumber();
        if (n < -1 || n > Integer.MAX_VALUE) {
            throw new RespProtocolException("array length " + n + " is not between -1 and " + Integer.MAX_VALUE);
        }
        return (int) n;
    }

    /** An integer reply's value: a signed 64-bit decimal. */
    private long integer() throws IOException {
        String text = line();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new RespProtocolException("integer reply '" + text + "' is not a 64-bit decimal");
        }
    }

    /** A decimal number ending in CRLF (lengths of arrays and bulk strings). */
    private long lineNumber() throws IOException {
        long value = 0;
        boolean negative = false;
        int digits = 0;
        while (true) {
            require(1);
            byte b = buf[pos++];
            if (b == '\r') {
                lineFeed();
                break;
            }
            if (b == '-' && digits == 0 && !negative) {
                negative = true;
            } else if (b >= '0' && b <= '9') {
                if (digits == 18) {
                    throw new RespProtocolException("length of more than 18 digits");
                }
                value = value * 10 + (b - '0');
                digits++;
            } else {
                throw new RespProtocolException("bad length byte " + (b & 0xff));
            }
        }
        if (digits == 0) {
            throw new RespProtocolException("empty length");
        }
        return negative ? -value : value;
    }

    private String line() throws IOException {
        StringBuilder out = new StringBuilder();
        while (true) {
            require(1);
            byte b = buf[pos++];
            if (b == '\r') {
                lineFeed();
                return out.toString();
            }
            out.append((char) (b & 0xff));
        }
    }

    /** The LF after a line's CR. */
    private void lineFeed() throws IOException {
        require(1);
        byte b = buf[pos++];
        if (b != '\n') {
            throw new RespProtocolException("CR followed by byte " + (b & 0xff) + " instead of LF");
        }
    }

    /**
     * Blocks until the next reply's first byte has arrived (true) or Redis closed the connection (false),
     * reading nothing away; a read timeout is thrown as {@link java.net.SocketTimeoutException}.
     */
    public boolean awaitReply() throws IOException {
        try {
            require(1);
            return true;
        } catch (EOFException closed) {
            return false;
        }
    }

    /** Makes at least {@code n} unread bytes available in the buffer, moving or growing it as needed. */
    private void require(int n) throws IOException {
        if (limit - pos >= n) {
            return;
        }
        if (buf.length - pos < n) {
            byte[] target = n > buf.length ? new byte[Math.max(n, buf.length * 2)] : buf;
            System.arraycopy(buf, pos, target, 0, limit - pos);
            limit -= pos;
            pos = 0;
            buf = target;
        }
        while (limit - pos < n) {
            int read = in.read(buf, limit, buf.length - limit);
            if (read < 0) {
                throw new EOFException("Redis closed the connection");
            }
            limit += read;
        }
    }

    private RespProtocolException unexpected(byte type, String expected) {
        return new RespProtocolException("expected " + expected + ", got type byte " + (type & 0xff));
    }
}
