package io.tally.processor.internal.transport;

import io.netty.buffer.ByteBuf;
import io.netty.util.CharsetUtil;
import org.redisson.client.codec.StringCodec;
import org.redisson.client.handler.State;
import org.redisson.client.protocol.Decoder;

import java.util.Arrays;

/**
 * Decodes stream entries read by the processor into Strings, handing out the same String object for
 * bytes it has seen recently: field names, operations, counter names and small numbers repeat from
 * entry to entry, so most fields cost a hash and a compare instead of a UTF-8 decode and an allocation,
 * and the hash maps that later look them up find their hash codes cached.
 *
 * <p>The cache is a fixed direct-mapped table; a slot is replaced whole by an immutable record, so
 * netty threads may share it without locks (at worst a value is decoded twice).
 */
final class EntryCodec extends StringCodec {
    static final EntryCodec INSTANCE = new EntryCodec();

    private static final int SLOTS = 1 << 16;
    /** Longer values (and long digit strings, such as timestamps, that rarely repeat) are not cached. */
    private static final int MAX_CACHED_BYTES = 64;
    private static final int MIN_UNCACHED_DIGITS = 10;

    private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[MAX_CACHED_BYTES]);

    private final Cached[] slots = new Cached[SLOTS];

    private record Cached(byte[] bytes, String value) {
    }

    private final Decoder<Object> decoder = this::decode;

    @Override
    public Decoder<Object> getValueDecoder() {
        return decoder;
    }

    @Override
    public Decoder<Object> getMapKeyDecoder() {
        return decoder;
    }

    @Override
    public Decoder<Object> getMapValueDecoder() {
        return decoder;
    }

    private Object decode(ByteBuf buf, State state) {
        int length = buf.readableBytes();
        if (length > MAX_CACHED_BYTES) {
            return readString(buf);
        }
        byte[] bytes = SCRATCH.get();
        buf.getBytes(buf.readerIndex(), bytes, 0, length);
        int hash = 1;
        boolean digits = true;
        for (int i = 0; i < length; i++) {
            byte b = bytes[i];
            hash = 31 * hash + b;
            digits &= b >= '0' && b <= '9' || b == '-';
        }
        if (digits && length >= MIN_UNCACHED_DIGITS) {
            return readString(buf);
        }
        buf.skipBytes(length);
        int slot = (hash ^ (hash >>> 16)) & (SLOTS - 1);
        Cached cached = slots[slot];
        if (cached != null && sameBytes(cached.bytes, bytes, length)) {
            return cached.value;
        }
        byte[] copy = Arrays.copyOf(bytes, length);
        String value = new String(copy, CharsetUtil.UTF_8);
        slots[slot] = new Cached(copy, value);
        return value;
    }

    /** A plain loop: the range form of Arrays.equals took a seventh of the decoding thread for these few bytes. */
    private static boolean sameBytes(byte[] cached, byte[] read, int length) {
        if (cached.length != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (cached[i] != read[i]) {
                return false;
            }
        }
        return true;
    }

    private static String readString(ByteBuf buf) {
        String value = buf.toString(CharsetUtil.UTF_8);
        buf.skipBytes(buf.readableBytes());
        return value;
    }
}
