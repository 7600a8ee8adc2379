package io.tally.producer.internal;

import io.tally.common.internal.resp.RespErrorReply;
import io.tally.common.internal.resp.RespReader;
import io.tally.common.model.CounterOp;
import io.tally.testkit.ChunkedBytes;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RedisServer;
import io.tally.testkit.ReplyBytes;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.tally.testkit.ChunkedBytes.chunked;
import static io.tally.testkit.ChunkedBytes.starving;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The producer's direct connection parses append_runs.lua's replies ({@link DirectSendPipeline#REPLY}),
 * recorded from a real redis-server for the arguments the producer sends: entry ids, then positions of
 * duplicates; and NOSCRIPT. Cut in two at every byte, in random chunks and cut short, each parses to the
 * ids the stream holds.
 */
class AppendRunsReplyBytesTest {
    private static final String NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL.";

    /** Replies recorded once per test JVM (the server stops right after), and the stream's ids. */
    private static final class Recorded {
        static final byte[] FIRST;
        static final byte[] AGAIN;
        static final byte[] UNKNOWN_SCRIPT;
        static final List<String> IDS;

        static {
            RedisServer.requireAvailable();
            try (RedisServer server = RedisServer.start(); RawRedis redis = new RawRedis(server.url())) {
                String sha = redis.callText("SCRIPT", "LOAD", SenderLoop.APPEND_RUNS.source());
                FIRST = call(server.url(), sha, List.of(
                        new PendingSend(0, StreamKeys.OPS, EntryEncoder.encode(CounterOp.incr("a", 1)), null),
                        idempotent(CounterOp.incr("b", 2).withId("x")),
                        new PendingSend(0, StreamKeys.OPS, EntryEncoder.encode(CounterOp.set("c", -5)), null),
                        idempotent(CounterOp.incr("b", 2).withId("x"))));
                AGAIN = call(server.url(), sha, List.of(idempotent(CounterOp.incr("b", 2).withId("x"))));
                UNKNOWN_SCRIPT = call(server.url(), "0123456789012345678901234567890123456789", List.of(
                        new PendingSend(0, StreamKeys.OPS, EntryEncoder.encode(CounterOp.incr("a", 1)), null)));
                List<String> ids = new ArrayList<>();
                for (Object entry : (List<?>) redis.call("XRANGE", "stream", "-", "+")) {
                    ids.add(RawRedis.text(((List<?>) entry).get(0)));
                }
                IDS = List.copyOf(ids);
            }
        }

        private static PendingSend idempotent(CounterOp op) {
            return new PendingSend(0, StreamKeys.OPS, EntryEncoder.encode(op), ("dedupe:" + op.id()).getBytes(StandardCharsets.UTF_8));
        }

        private static byte[] call(String url, String sha, List<PendingSend> sends) {
            StreamGroup group = StreamGroup.byStream(sends, 1).get(0);
            Object[] args = group.evalShaArgs(sha.getBytes(StandardCharsets.US_ASCII), bytes("stream"), bytes("sessions"),
                    bytes("60000"));
            List<Object> command = new ArrayList<>();
            command.add("EVALSHA");
            command.addAll(Arrays.asList(args));
            return ReplyBytes.of(url, command.toArray());
        }
    }

    /** An error reply, as the parser throws it. */
    record Err(String message) {
    }

    @Test
    void theRepliesNameTheEntriesTheStreamHoldsAndTheDuplicates() throws IOException {
        List<String> ids = Recorded.IDS;
        assertThat(ids).hasSize(3);
        // the second send of id x is a duplicate of the first: answered with its id, its position (1-based) listed
        assertThat(parse(new RespReader(new ByteArrayInputStream(Recorded.FIRST))))
                .isEqualTo(List.of(ids.get(0), ids.get(1), ids.get(2), ids.get(1), 4L));
        assertThat(parse(new RespReader(new ByteArrayInputStream(Recorded.AGAIN)))).isEqualTo(List.of(ids.get(1), 1L));
        assertThat(parse(new RespReader(new ByteArrayInputStream(Recorded.UNKNOWN_SCRIPT)))).isEqualTo(new Err(NOSCRIPT));
    }

    @Test
    void eachReplyParsesTheSameCutInTwoAtEveryByte() throws IOException {
        for (byte[] reply : List.of(Recorded.FIRST, Recorded.AGAIN, Recorded.UNKNOWN_SCRIPT)) {
            Object whole = parse(new RespReader(new ByteArrayInputStream(reply)));
            for (int cut = 0; cut <= reply.length; cut++) {
                assertThat(parse(new RespReader(chunked(reply, cut)))).as("cut at %d", cut).isEqualTo(whole);
            }
        }
    }

    @Property(tries = 200)
    void aPipelineOfRepliesParsesTheSameInAnyChunks(@ForAll("cuts") int[] cuts) throws IOException {
        byte[] all = pipeline();
        RespReader in = new RespReader(chunked(all, cuts));
        List<Object> parsed = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            parsed.add(parse(in));
        }
        List<String> ids = Recorded.IDS;
        assertThat(parsed).containsExactly(List.of(ids.get(0), ids.get(1), ids.get(2), ids.get(1), 4L),
                new Err(NOSCRIPT), List.of(ids.get(1), 1L), new Err(NOSCRIPT));
    }

    @Provide
    Arbitrary<int[]> cuts() {
        return Arbitraries.integers().between(0, pipeline().length).array(int[].class).ofMaxSize(30);
    }

    @Test
    void aReplyCutShortWaitsForTheRest() {
        for (byte[] reply : List.of(Recorded.FIRST, Recorded.AGAIN, Recorded.UNKNOWN_SCRIPT)) {
            for (int end = 0; end < reply.length; end++) {
                byte[] prefix = Arrays.copyOf(reply, end);
                assertThatThrownBy(() -> parse(new RespReader(starving(prefix)))).as("cut after %d bytes", end)
                        .isInstanceOf(ChunkedBytes.NeedMoreBytes.class);
            }
        }
    }

    private static byte[] pipeline() {
        byte[][] parts = {Recorded.FIRST, Recorded.UNKNOWN_SCRIPT, Recorded.AGAIN, Recorded.UNKNOWN_SCRIPT};
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** One reply through the pipeline's parser, as the connection's reader thread reads it. */
    private static Object parse(RespReader in) throws IOException {
        try {
            return DirectSendPipeline.REPLY.parse(in);
        } catch (RespErrorReply e) {
            return new Err(e.getMessage());
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
