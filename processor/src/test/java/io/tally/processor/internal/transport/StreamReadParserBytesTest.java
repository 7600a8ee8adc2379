package io.tally.processor.internal.transport;

import io.tally.common.internal.resp.RespErrorReply;
import io.tally.common.internal.resp.RespProtocolException;
import io.tally.common.internal.resp.RespReader;
import io.tally.common.series.SeriesWindows;
import io.tally.processor.internal.batch.CounterFold;
import io.tally.processor.internal.batch.CounterNames;
import io.tally.processor.internal.batch.PartitionRead;
import io.tally.processor.internal.batch.ReadBatch;
import io.tally.processor.internal.batch.SeriesRules;
import io.tally.testkit.ChunkedBytes;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.tally.processor.internal.transport.RecordedReplies.EVENTS;
import static io.tally.processor.internal.transport.RecordedReplies.OPS;
import static io.tally.processor.internal.transport.RecordedReplies.READ_BOTH;
import static io.tally.processor.internal.transport.RecordedReplies.READ_HISTORY;
import static io.tally.processor.internal.transport.RecordedReplies.READ_LARGE;
import static io.tally.processor.internal.transport.RecordedReplies.READ_NOGROUP;
import static io.tally.processor.internal.transport.RecordedReplies.READ_NOTHING;
import static io.tally.testkit.ChunkedBytes.chunked;
import static io.tally.testkit.ChunkedBytes.starving;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link StreamReadParser} on XREADGROUP replies recorded from a real redis-server, fed as a socket
 * feeds them: cut in two at every byte, in random chunks, several replies in one stream, and cut short.
 * Whatever the cuts, each read parses to the same ids, counters and amounts as the whole reply does.
 */
class StreamReadParserBytesTest {
    private static final SeriesRules SERIES = new SeriesRules(SeriesWindows.parse("1m=48h"), 60_000);

    private static final String BOTH = "ops=3 [5-1 5-2 6-0] c:-2 " + RecordedReplies.D + ":=-7 cells[1m:0 c 3] "
            + "events=2 [5-3 18446744073709551615-18446744073709551615]";
    /** 5-2 was deleted: the pending list still names it, with no fields, so apply.lua must judge the batch. */
    private static final String HISTORY = "ops=3 [5-1 5-2 6-0] unfoldable events=none";
    private static final String LARGE = "ops=1 [7-0] c:2 cells[] events=none";
    private static final String NOTHING = "ops=none events=none";
    private static final String NOGROUP = "error NOGROUP No such key 'ops' or consumer group 'nogroup' in XREADGROUP with GROUP option";

    /** Every read, back to back on one connection, and what each parses to. */
    private static final byte[] ALL = RecordedReplies.concat(READ_NOTHING, READ_BOTH, READ_NOGROUP, READ_HISTORY, READ_LARGE, READ_BOTH);
    private static final List<String> ALL_PARSED = List.of(NOTHING, BOTH, NOGROUP, HISTORY, LARGE, BOTH);

    @Test
    void theRecordedRepliesAreWhatRedisSendsForEachCase() {
        assertThat(ascii(READ_NOTHING)).isEqualTo("*-1\r\n");
        assertThat(ascii(READ_HISTORY)).contains("$3\r\n5-2\r\n*-1\r\n").endsWith("$6\r\nevents\r\n*0\r\n");
        assertThat(READ_LARGE.length).isGreaterThan(5 << 20);
        assertThat(ascii(READ_NOGROUP)).startsWith("-NOGROUP ");
    }

    @Test
    void eachReadParsesToItsIdsCountersAndAmounts() throws IOException {
        assertThat(parse(new ByteArrayInputStream(READ_NOTHING))).isEqualTo(NOTHING);
        assertThat(parse(new ByteArrayInputStream(READ_BOTH))).isEqualTo(BOTH);
        assertThat(parse(new ByteArrayInputStream(READ_HISTORY))).isEqualTo(HISTORY);
        assertThat(parse(new ByteArrayInputStream(READ_LARGE))).isEqualTo(LARGE);
        assertThat(parse(new ByteArrayInputStream(READ_NOGROUP))).isEqualTo(NOGROUP);
    }

    @Test
    void eachReadParsesTheSameCutInTwoAtEveryByte() throws IOException {
        for (byte[] reply : List.of(READ_NOTHING, READ_BOTH, READ_HISTORY, READ_NOGROUP)) {
            String whole = parse(new ByteArrayInputStream(reply));
            for (int cut = 0; cut <= reply.length; cut++) {
                assertThat(parse(chunked(reply, cut))).as("cut at %d of %s", cut, whole).isEqualTo(whole);
            }
        }
    }

    @Test
    void aReadWithA5MbFieldParsesTheSameWhereverItIsCut() throws IOException {
        for (int cut : ChunkedBytes.sampledCuts(READ_LARGE.length, 120, 40, 5)) {
            assertThat(parse(chunked(READ_LARGE, cut))).as("cut at %d", cut).isEqualTo(LARGE);
        }
    }

    @Property(tries = 60)
    void everyReadOfOneConnectionParsesTheSameInAnyChunks(@ForAll("cutsOfAll") int[] cuts) throws IOException {
        RespReader in = new RespReader(chunked(ALL, cuts));
        List<String> parsed = new ArrayList<>();
        for (int i = 0; i < ALL_PARSED.size(); i++) {
            parsed.add(parse(in));
        }
        assertThat(parsed).isEqualTo(ALL_PARSED);
    }

    @Provide
    Arbitrary<int[]> cutsOfAll() {
        return Arbitraries.integers().between(0, ALL.length).array(int[].class).ofMaxSize(200);
    }

    @Test
    void aReadCutShortWaitsForTheRest() {
        for (byte[] reply : List.of(READ_NOTHING, READ_BOTH, READ_HISTORY)) {
            for (int end = 0; end < reply.length; end++) {
                byte[] prefix = Arrays.copyOf(reply, end);
                assertThatThrownBy(() -> parse(starving(prefix))).as("cut after %d bytes", end)
                        .isInstanceOf(ChunkedBytes.NeedMoreBytes.class);
            }
        }
    }

    @Test
    void aReplyForAnotherStreamOrWithABadIdFailsNamingWhatWasWrong() {
        StreamReadParser other = new StreamReadParser("other", EVENTS, new CounterNames(0, RecordedReplies.PARTITIONS));
        assertThatThrownBy(() -> other.parse(new RespReader(new ByteArrayInputStream(READ_BOTH))))
                .isInstanceOf(RespProtocolException.class).hasMessage("XREADGROUP replied for a stream it was not asked for");
        byte[] badId = ascii(ascii(READ_BOTH).replace("$3\r\n5-1\r\n", "$3\r\n5x1\r\n"));
        assertThatThrownBy(() -> parse(new ByteArrayInputStream(badId)))
                .isInstanceOf(RespProtocolException.class).hasMessage("bad stream id 5x1");
        byte[] nullId = ascii("*1\r\n*2\r\n$3\r\nops\r\n*1\r\n*2\r\n$-1\r\n*0\r\n");
        assertThatThrownBy(() -> parse(new ByteArrayInputStream(nullId)))
                .isInstanceOf(RespProtocolException.class).hasMessage("a stream entry has a null id");
        byte[] notAPair = ascii("*1\r\n*3\r\n$3\r\nops\r\n*0\r\n*0\r\n");
        assertThatThrownBy(() -> parse(new ByteArrayInputStream(notAPair)))
                .isInstanceOf(RespProtocolException.class).hasMessage("a stream of an XREADGROUP reply is not [key, entries]");
    }

    /** Parses one read as the connection's reader thread does, described by value; an error reply as its text. */
    private static String parse(InputStream in) throws IOException {
        return parse(new RespReader(in));
    }

    private static String parse(RespReader in) throws IOException {
        StreamReadParser parser = new StreamReadParser(OPS, EVENTS,
                new CounterNames(RecordedReplies.PARTITION, RecordedReplies.PARTITIONS));
        try {
            PartitionRead read = parser.parse(in);
            return "ops=" + describe(read.ops(), true) + " events=" + describe(read.events(), false);
        } catch (RespErrorReply e) {
            return "error " + e.getMessage();
        }
    }

    private static String describe(ReadBatch batch, boolean ops) {
        if (batch == null) {
            return "none";
        }
        String ids = batch.size() + " [" + new String(batch.joinedIds(), StandardCharsets.UTF_8).trim() + "]";
        if (!ops) {
            return ids;
        }
        CounterFold fold = batch.fold(SERIES);
        if (fold == null) {
            return ids + " unfoldable";
        }
        String pairs = new String(fold.pairs(), StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(ids);
        String[] lines = pairs.split("\n");
        for (int i = 0; i + 1 < lines.length; i += 2) {
            out.append(' ').append(lines[i]).append(':').append(lines[i + 1]);
        }
        return out.append(" cells[").append(fold.buckets().cells().trim().replace('\n', ' ')).append(']').toString();
    }

    private static String ascii(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
