package io.tally.testkit;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Bytes delivered as a socket may deliver them, for tests of parsers that read from a stream: in chunks
 * cut at chosen offsets (a read never returns bytes from two chunks), or cut short.
 */
public final class ChunkedBytes {
    private ChunkedBytes() {
    }

    /** Thrown by a {@link #starving} stream when its reader asks for bytes past the end. */
    public static final class NeedMoreBytes extends IOException {
        NeedMoreBytes() {
            super("the reader asked for more bytes than there are");
        }
    }

    /** The bytes, in chunks that end at the cuts (offsets from 0 to the length, in any order). */
    public static InputStream chunked(byte[] bytes, int... cuts) {
        int[] sorted = cuts.clone();
        Arrays.sort(sorted);
        List<InputStream> chunks = new ArrayList<>();
        int from = 0;
        for (int cut : sorted) {
            chunks.add(new ByteArrayInputStream(bytes, from, cut - from));
            from = cut;
        }
        chunks.add(new ByteArrayInputStream(bytes, from, bytes.length - from));
        return new SequenceInputStream(Collections.enumeration(chunks));
    }

    /** The bytes, then {@link NeedMoreBytes} instead of blocking: shows that the reader wanted more. */
    public static InputStream starving(byte[] bytes) {
        return new InputStream() {
            private int at;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (at == bytes.length) {
                    throw new NeedMoreBytes();
                }
                int n = Math.min(len, bytes.length - at);
                System.arraycopy(bytes, at, b, off, n);
                at += n;
                return n;
            }
        };
    }

    /**
     * Cuts for a reply too large to cut at every byte: every offset within {@code edge} bytes of either
     * end, a few around each power of two from 64 KiB (where read buffers fill and grow), and
     * {@code random} more chosen by {@code seed}.
     */
    public static List<Integer> sampledCuts(int length, int edge, int random, long seed) {
        List<Integer> cuts = new ArrayList<>();
        for (int i = 0; i <= Math.min(edge, length); i++) {
            cuts.add(i);
            cuts.add(length - i);
        }
        for (long around = 1 << 16; around < length; around <<= 1) {
            for (int d = -2; d <= 2; d++) {
                cuts.add((int) around + d);
            }
        }
        Random r = new Random(seed);
        for (int i = 0; i < random; i++) {
            cuts.add(r.nextInt(length + 1));
        }
        return cuts;
    }
}
