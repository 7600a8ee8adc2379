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
 */
public final class RespReader {
    private static final int INITIAL_BUFFER = 1 << 20;

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
        return (int) lineNumber();
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
        if (length < 0) {
            lastLength = -1;
            return -1;
        }
        if (length > Integer.MAX_VALUE - 2) {
            throw new RespProtocolException("bulk string of " + length + " bytes");
        }
        int n = (int) length;
        require(n + 2);
        int start = pos;
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
                return Long.parseLong(line());
            }
            case '$' -> {
                pos--;
                int start = bulk();
                return start < 0 ? null : new String(buf, start, lastLength, StandardCharsets.UTF_8);
            }
            case '*' -> {
                int n = (int) lineNumber();
                if (n < 0) {
                    return null;
                }
                List<Object> list = new ArrayList<>(n);
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

    /** Skips one reply of any kind (used for stream entry fields nobody needs). */
    public void skip() throws IOException {
        byte type = next();
        switch (type) {
            case '+', ':' -> line();
            case '$' -> {
                pos--;
                bulk();
            }
            case '*' -> {
                int n = (int) lineNumber();
                for (int i = 0; i < n; i++) {
                    skip();
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

    /** A decimal number ending in CRLF (lengths of arrays and bulk strings). */
    private long lineNumber() throws IOException {
        long value = 0;
        boolean negative = false;
        int digits = 0;
        while (true) {
            require(1);
            byte b = buf[pos++];
            if (b == '\r') {
                require(1);
                pos++; // '\n'
                break;
            }
            if (b == '-' && digits == 0 && !negative) {
                negative = true;
            } else if (b >= '0' && b <= '9' && digits < 18) {
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
                require(1);
                pos++;
                return out.toString();
            }
            out.append((char) (b & 0xff));
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
