package io.tally.processor.internal.transport;

import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.resp.RespEndpoint;
import io.tally.common.internal.resp.RespErrorReply;
import io.tally.common.internal.resp.RespReader;
import io.tally.testkit.ChunkedBytes;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.tally.processor.internal.transport.RecordedReplies.GET_EMPTY;
import static io.tally.processor.internal.transport.RecordedReplies.GET_LARGE;
import static io.tally.processor.internal.transport.RecordedReplies.GET_MISSING;
import static io.tally.processor.internal.transport.RecordedReplies.INCR_MAX;
import static io.tally.processor.internal.transport.RecordedReplies.INCR_NEGATIVE;
import static io.tally.processor.internal.transport.RecordedReplies.SCRIPT_ERRORS;
import static io.tally.processor.internal.transport.RecordedReplies.SCRIPT_NESTED;
import static io.tally.processor.internal.transport.RecordedReplies.SCRIPT_NOSCRIPT;
import static io.tally.processor.internal.transport.RecordedReplies.SCRIPT_NUMBER;
import static io.tally.processor.internal.transport.RecordedReplies.SCRIPT_PIPELINE;
import static io.tally.testkit.ChunkedBytes.chunked;
import static io.tally.testkit.ChunkedBytes.starving;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link RespScriptPipeline}'s reply parser on replies recorded from a real redis-server (scripts that
 * return nested arrays, errors inside them, NOSCRIPT, a single number; and plain replies of every kind,
 * a 5 MB bulk string among them), fed cut in two at every byte, in random chunks and cut short.
 */
class ScriptReplyBytesTest {
    private static final String NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL.";
    private static final List<Object> NESTED = Arrays.asList(1L, "two", Arrays.asList(3L, -4L, "", List.of()), null, "last");

    /** Small replies and what the parser makes of each (an error reply as {@link Err}). */
    private static final List<byte[]> SMALL = List.of(SCRIPT_NESTED, SCRIPT_ERRORS, SCRIPT_NOSCRIPT, SCRIPT_NUMBER,
            GET_MISSING, GET_EMPTY, INCR_NEGATIVE, INCR_MAX);
    private static final List<Object> SMALL_PARSED = List.of(NESTED, new Err("ERR boom"), new Err(NOSCRIPT), List.of(-7L),
            Arrays.asList((Object) null), List.of(""), List.of(-42L), List.of(Long.MAX_VALUE));

    private static final byte[] ALL = RecordedReplies.concat(SCRIPT_PIPELINE, GET_LARGE, GET_MISSING, GET_EMPTY,
            INCR_NEGATIVE, INCR_MAX);
    private static final List<Object> ALL_PARSED = List.of(NESTED, new Err("ERR boom"), new Err(NOSCRIPT), List.of(-7L),
            List.of(RecordedReplies.largeAsText()), Arrays.asList((Object) null), List.of(""), List.of(-42L),
            List.of(Long.MAX_VALUE));

    /** An error reply, as the parser throws it. */
    record Err(String message) {
    }

    @Test
    void theRecordedRepliesAreWhatRedisSendsForEachCase() {
        assertThat(new String(SCRIPT_ERRORS)).isEqualTo(
                "*5\r\n:1\r\n-ERR boom\r\n*3\r\n:2\r\n-NESTED bad\r\n$1\r\nx\r\n:-3\r\n$0\r\n\r\n");
        assertThat(new String(SCRIPT_NOSCRIPT)).isEqualTo("-" + NOSCRIPT + "\r\n");
        assertThat(new String(GET_MISSING)).isEqualTo("$-1\r\n");
        assertThat(new String(INCR_NEGATIVE)).isEqualTo(":-42\r\n");
        assertThat(SCRIPT_PIPELINE).isEqualTo(RecordedReplies.concat(SCRIPT_NESTED, SCRIPT_ERRORS, SCRIPT_NOSCRIPT, SCRIPT_NUMBER));
    }

    @Test
    void eachReplyParsesToItsValuesWholeAndCutInTwoAtEveryByte() throws IOException {
        for (int i = 0; i < SMALL.size(); i++) {
            byte[] reply = SMALL.get(i);
            assertThat(parse(new RespReader(new ByteArrayInputStream(reply)))).isEqualTo(SMALL_PARSED.get(i));
            for (int cut = 0; cut <= reply.length; cut++) {
                assertThat(parse(new RespReader(chunked(reply, cut)))).as("reply %d cut at %d", i, cut)
                        .isEqualTo(SMALL_PARSED.get(i));
            }
        }
    }

    @Test
    void aPipelineMixingRepliesAndErrorsStaysInStepWhereverItIsCut() throws IOException {
        List<Object> expected = ALL_PARSED.subList(0, 4);
        for (int cut = 0; cut <= SCRIPT_PIPELINE.length; cut++) {
            RespReader in = new RespReader(chunked(SCRIPT_PIPELINE, cut));
            List<Object> parsed = new ArrayList<>();
            for (int i = 0; i < expected.size(); i++) {
                parsed.add(parse(in));
            }
            assertThat(parsed).as("cut at %d", cut).isEqualTo(expected);
        }
    }

    @Test
    void aNoScriptReplyReachesTheLoopAsNoScript() {
        assertThatThrownBy(() -> RespScriptPipeline.LIST.parse(new RespReader(new ByteArrayInputStream(SCRIPT_NOSCRIPT))))
                .isInstanceOf(RespErrorReply.class).hasMessage(NOSCRIPT)
                .satisfies(e -> assertThat(LuaScript.isNoScript(RespFailures.asRedisException("script apply",
                        new RespEndpoint("127.0.0.1", 6379, null, null, null, 1000, null), e))).isTrue());
    }

    @Test
    void a5MbBulkStringReadsWholeWhereverItIsCut() throws IOException {
        String large = RecordedReplies.largeAsText();
        for (int cut : ChunkedBytes.sampledCuts(GET_LARGE.length, 40, 20, 3)) {
            assertThat(parse(new RespReader(chunked(GET_LARGE, cut)))).as("cut at %d", cut).isEqualTo(List.of(large));
            RespReader in = new RespReader(chunked(GET_LARGE, cut));
            int at = in.bulk();
            assertThat(Arrays.equals(in.buffer(), at, at + in.lastLength(), RecordedReplies.LARGE, 0, RecordedReplies.LARGE.length))
                    .as("the bytes of the range, cut at %d", cut).isTrue();
        }
    }

    @Property(tries = 60)
    void everyReplyOfOneConnectionParsesTheSameInAnyChunks(@ForAll("cutsOfAll") int[] cuts) throws IOException {
        RespReader in = new RespReader(chunked(ALL, cuts));
        List<Object> parsed = new ArrayList<>();
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
    void aReplyCutShortWaitsForTheRest() {
        for (byte[] reply : SMALL) {
            for (int end = 0; end < reply.length; end++) {
                byte[] prefix = Arrays.copyOf(reply, end);
                assertThatThrownBy(() -> parse(new RespReader(starving(prefix)))).as("cut after %d bytes", end)
                        .isInstanceOf(ChunkedBytes.NeedMoreBytes.class);
            }
        }
    }

    /** One reply through the pipeline's parser, as the connection's reader thread reads it. */
    private static Object parse(RespReader in) throws IOException {
        try {
            return RespScriptPipeline.LIST.parse(in);
        } catch (RespErrorReply e) {
            return new Err(e.getMessage());
        }
    }
}
