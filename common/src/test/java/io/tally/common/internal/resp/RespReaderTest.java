package io.tally.common.internal.resp;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * RespReader at the byte level, fed as a socket feeds it: a reply arrives in chunks cut anywhere, and
 * several replies share the reader's buffer. Every kind of RESP2 reply reads the same whatever the cuts;
 * a reply cut short waits for the rest; bytes that are not RESP2 fail with a message naming what was
 * wrong, and no length makes it allocate more than the bytes that arrived (or Redis's own string limit).
 */
class RespReaderTest {
    /** An error reply, as the reader throws it, for comparing sequences of replies. */
    record Err(String message) {
    }

    /** Hand-written replies of every kind and what {@link RespReader#object()} makes of each. */
    private static final List<Object[]> SAMPLES = List.of(
            sample("+OK\r\n", "OK"),
            sample("+\r\n", ""),
            sample(":0\r\n", 0L),
            sample(":-42\r\n", -42L),
            sample(":9223372036854775807\r\n", Long.MAX_VALUE),
            sample(":-9223372036854775808\r\n", Long.MIN_VALUE),
            sample("$0\r\n\r\n", ""),
            sample("$-1\r\n", null),
            sample("$4\r\na\r\nb\r\n", "a\r\nb"),
            sample("$2\r\n\u00fc\r\n", "\u00fc"),
            sample("*-1\r\n", null),
            sample("*0\r\n", List.of()),
            sample("*3\r\n$1\r\nx\r\n*2\r\n:1\r\n$-1\r\n*0\r\n", Arrays.asList("x", Arrays.asList(1L, null), List.of())),
            sample("-ERR plain\r\n", new Err("ERR plain")),
            sample("*4\r\n:1\r\n-ERR first\r\n*2\r\n-ERR nested\r\n:2\r\n$1\r\nz\r\n", new Err("ERR first")),
            sample("+after the errors\r\n", "after the errors"));

    private static final byte[] ALL = concat(SAMPLES.stream().map(s -> (byte[]) s[0]).toList());
    private static final List<Object> EXPECTED = SAMPLES.stream().map(s -> s[1]).toList();

    @Test
    void everyKindOfReplyReadsTheSameWhereverTheBytesAreCutInTwo() throws IOException {
        assertThat(readAll(new RespReader(new ByteArrayInputStream(ALL)))).isEqualTo(EXPECTED);
        for (int cut = 0; cut <= ALL.length; cut++) {
            assertThat(readAll(new RespReader(chunked(ALL, cut)))).as("cut at %d", cut).isEqualTo(EXPECTED);
        }
    }

    @Test
    void everyKindOfReplyReadsTheSameArrivingOneByteAtATime() throws IOException {
        int[] everyByte = new int[ALL.length];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = i;
        }
        assertThat(readAll(new RespReader(chunked(ALL, everyByte)))).isEqualTo(EXPECTED);
    }

    @Property(tries = 300)
    void everyKindOfReplyReadsTheSameInAnyChunks(@ForAll("cuts") int[] cuts) throws IOException {
        assertThat(readAll(new RespReader(chunked(ALL, cuts)))).isEqualTo(EXPECTED);
    }

    @Provide
    Arbitrary<int[]> cuts() {
        return Arbitraries.integers().between(0, ALL.length).array(int[].class).ofMaxSize(40)
                .map(a -> Arrays.stream(a).sorted().toArray());
    }

    @Test
    void skipReadsEveryKindOfReplyToItsEndAndThrowsItsFirstError() throws IOException {
        for (int cut = 0; cut <= ALL.length; cut += 3) {
            RespReader in = new RespReader(chunked(ALL, cut));
            List<Object> skipped = new ArrayList<>();
            for (int i = 0; i < SAMPLES.size() - 1; i++) {
                try {
                    in.skip();
                    skipped.add("skipped");
                } catch (RespErrorReply e) {
                    skipped.add(new Err(e.getMessage()));
                }
            }
            // the last reply is read in full: skip left the reader in step after the nested errors
            skipped.add(in.object());
            List<Object> expected = EXPECTED.stream().map(e -> e instanceof Err ? e : (Object) "skipped")
                    .collect(java.util.stream.Collectors.toCollection(ArrayList::new));
            expected.set(expected.size() - 1, "after the errors");
            assertThat(skipped).as("cut at %d", cut).isEqualTo(expected);
        }
    }

    @Test
    void bulkStringsLargerThanTheBufferReadWholeWhereverTheyAreCut() throws IOException {
        byte[] small = bytes(1 << 20, 'a'); // exactly the initial buffer
        byte[] large = bytes(3 << 20, 'b');
        ByteArrayOutputStream reply = new ByteArrayOutputStream();
        reply.writeBytes(ascii("+first\r\n*3\r\n$" + small.length + "\r\n"));
        reply.writeBytes(small);
        reply.writeBytes(ascii("\r\n$0\r\n\r\n$" + large.length + "\r\n"));
        reply.writeBytes(large);
        reply.writeBytes(ascii("\r\n:7\r\n"));
        byte[] all = reply.toByteArray();
        List<Integer> cuts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            cuts.add(i);
            cuts.add(all.length - i);
        }
        for (int around : new int[]{1 << 20, 2 << 20, 4 << 20, 19 + small.length}) {
            for (int d = -3; d <= 3; d++) {
                cuts.add(around + d);
            }
        }
        Random random = new Random(11);
        for (int i = 0; i < 20; i++) {
            cuts.add(random.nextInt(all.length + 1));
        }
        for (int cut : cuts) {
            RespReader in = new RespReader(chunked(all, cut));
            assertThat(in.object()).isEqualTo("first");
            assertThat(in.arrayLength()).isEqualTo(3);
            assertThat(nextBulk(in)).as("cut at %d", cut).isEqualTo(small);
            assertThat(nextBulk(in)).isEmpty();
            assertThat(nextBulk(in)).as("cut at %d", cut).isEqualTo(large);
            assertThat(in.object()).isEqualTo(7L);
        }
    }

    @Test
    void aReplyCutShortAsksForMoreBytesWithoutAResultOrAnError() {
        for (Object[] sample : SAMPLES) {
            byte[] reply = (byte[]) sample[0];
            for (int end = 0; end < reply.length; end++) {
                byte[] prefix = Arrays.copyOf(reply, end);
                assertThatThrownBy(() -> new RespReader(starving(prefix)).object())
                        .as("%s cut after %d bytes", printable(reply), end).isInstanceOf(NeedMoreBytes.class);
                assertThatThrownBy(() -> new RespReader(starving(prefix)).skip())
                        .as("%s cut after %d bytes", printable(reply), end).isInstanceOf(NeedMoreBytes.class);
            }
        }
    }

    @Test
    void aReplyCutShortWaitsForTheRestAndThenReadsIt() throws Exception {
        byte[] reply = (byte[]) SAMPLES.get(12)[0];
        PipedOutputStream socket = new PipedOutputStream();
        RespReader in = new RespReader(new PipedInputStream(socket, 1 << 10));
        socket.write(reply, 0, 9);
        CompletableFuture<Object> read = CompletableFuture.supplyAsync(() -> {
            try {
                return in.object();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Thread.sleep(200);
        assertThat(read).isNotDone();
        socket.write(reply, 9, reply.length - 9);
        socket.flush();
        assertThat(read.get(5, TimeUnit.SECONDS)).isEqualTo(SAMPLES.get(12)[1]);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "!x\\r\\n                   | expected a reply, got type byte 33",
            "$abc\\r\\n                 | bad length byte 97",
            "$\\r\\n                    | empty length",
            "*-\\r\\n                   | empty length",
            "$3\\r\\nabcd\\r\\n         | bulk string of 3 bytes is not followed by CRLF",
            "$5\\r\\nabc\\r\\n:1\\r\\n  | bulk string of 5 bytes is not followed by CRLF",
            "$-2\\r\\n                  | bulk string length -2 is not between -1 and 536870912",
            "$2147483647\\r\\n          | bulk string length 2147483647 is not between -1 and 536870912",
            "$2147483645\\r\\n          | bulk string length 2147483645 is not between -1 and 536870912",
            "$536870913\\r\\n           | bulk string length 536870913 is not between -1 and 536870912",
            "$1234567890123456789\\r\\n | length of more than 18 digits",
            "*4294967297\\r\\n          | array length 4294967297 is not between -1 and 2147483647",
            "*-2\\r\\n                  | array length -2 is not between -1 and 2147483647",
            "*1\\r\\n$1\\r\\nx\\r\\n?\\r\\n | expected a reply, got type byte 63",
            ":12a\\r\\n                 | integer reply '12a' is not a 64-bit decimal",
            ":9223372036854775808\\r\\n | integer reply '9223372036854775808' is not a 64-bit decimal",
            "+OK\\rX                    | CR followed by byte 88 instead of LF",
            "$1\\rX                     | CR followed by byte 88 instead of LF",
    })
    void bytesThatAreNotResp2FailNamingWhatWasWrong(String input, String message) {
        byte[] reply = ascii(input.replace("\\r", "\r").replace("\\n", "\n"));
        assertThatThrownBy(() -> readAll(new RespReader(starving(reply)), 2))
                .isInstanceOf(RespProtocolException.class).hasMessageContaining(message);
    }

    @Test
    void theFieldReadersNameTheTypeTheyExpectedAndGot() {
        assertThatThrownBy(() -> new RespReader(starving(ascii("$1\r\na\r\n"))).arrayLength())
                .isInstanceOf(RespProtocolException.class).hasMessage("expected an array, got type byte 36");
        assertThatThrownBy(() -> new RespReader(starving(ascii(":1\r\n"))).bulk())
                .isInstanceOf(RespProtocolException.class).hasMessage("expected a bulk string, got type byte 58");
        assertThatThrownBy(() -> new RespReader(starving(ascii("-NOGROUP no such group\r\n"))).arrayLength())
                .isInstanceOf(RespErrorReply.class).hasMessage("NOGROUP no such group");
    }

    @Test
    void aHugeArrayCountAllocatesOnlyForTheElementsThatArrive() {
        // a list sized by the count would be 2^31 slots: the reader must wait for elements instead
        assertThatThrownBy(() -> new RespReader(starving(ascii("*2147483647\r\n:1\r\n"))).object())
                .isInstanceOf(NeedMoreBytes.class);
        assertThatThrownBy(() -> new RespReader(starving(ascii("*2147483647\r\n:1\r\n"))).skip())
                .isInstanceOf(NeedMoreBytes.class);
    }

    /** Reads every reply in the stream as objects, error replies as {@link Err}. */
    static List<Object> readAll(RespReader in) throws IOException {
        return readAll(in, SAMPLES.size());
    }

    private static List<Object> readAll(RespReader in, int replies) throws IOException {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < replies; i++) {
            try {
                out.add(in.object());
            } catch (RespErrorReply e) {
                out.add(new Err(e.getMessage()));
            }
        }
        return out;
    }

    private static byte[] nextBulk(RespReader in) throws IOException {
        int at = in.bulk();
        return Arrays.copyOfRange(in.buffer(), at, at + in.lastLength());
    }

    /** The stream a socket could deliver: the bytes, in chunks that end at the cuts (sorted). */
    static InputStream chunked(byte[] bytes, int... cuts) {
        List<InputStream> chunks = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            chunks.add(new ByteArrayInputStream(bytes, from, cut - from));
            from = cut;
        }
        chunks.add(new ByteArrayInputStream(bytes, from, bytes.length - from));
        return new SequenceInputStream(Collections.enumeration(chunks));
    }

    /** Thrown by a {@link #starving} stream when the reader asks for bytes past its end. */
    static final class NeedMoreBytes extends IOException {
        NeedMoreBytes() {
            super("the reader asked for more bytes");
        }
    }

    /** The bytes, then {@link NeedMoreBytes} instead of blocking: shows that a reader wanted more. */
    static InputStream starving(byte[] bytes) {
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

    private static Object[] sample(String reply, Object parsed) {
        return new Object[]{reply.getBytes(StandardCharsets.UTF_8), parsed};
    }

    private static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        parts.forEach(out::writeBytes);
        return out.toByteArray();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] bytes(int n, char c) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) c);
        return b;
    }

    private static String printable(byte[] b) {
        return new String(b, StandardCharsets.UTF_8).replace("\r", "\\r").replace("\n", "\\n");
    }
}
