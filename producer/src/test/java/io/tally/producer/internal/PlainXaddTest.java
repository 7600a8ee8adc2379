package io.tally.producer.internal;

import io.tally.common.config.TallyConfig;
import io.tally.common.keys.Keys;
import io.tally.common.model.CounterOp;
import io.tally.common.resp.RespErrorReply;
import io.tally.common.resp.RespReader;
import io.tally.common.wire.WireCodec;
import io.tally.producer.SendFailedException;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.testsupport.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.client.RedisException;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Plain sends over the producer's own connection leave as one XADD each (no script), land in send
 * order with WireCodec's fields, and a stream that refuses them fails them with Redis's error; the
 * reply reader keeps each XADD's own outcome when only some are refused.
 */
class PlainXaddTest {
    private RedisServer server;

    @BeforeEach
    void start() {
        assumeTrue(RedisServer.available(), "redis-server is not on the PATH");
        server = RedisServer.start();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void plainSendsAreOneXaddEachInSendOrderAndNoScript() {
        TallyConfig config = config("plain").set(TallyConfig.PRODUCER_LINGER_MS, 0).build();
        List<CounterOp> ops = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            ops.add(i % 7 == 0 ? CounterOp.set("c" + (i % 13), i) : CounterOp.incr("c" + (i % 13), i + 1).withTs(i));
        }
        List<SendResult> results = new ArrayList<>();
        try (TallyProducer producer = TallyProducer.create(config)) {
            for (CounterOp op : ops) {
                results.add(producer.send(op).join()); // one at a time: each send a pipeline of its own
            }
        }
        Keys keys = new Keys("plain");
        String range = server.cli("XRANGE", keys.ops(0), "-", "+");
        List<String> ids = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\d+-\\d+$").matcher(range);
        while (m.find()) {
            ids.add(m.group());
        }
        assertThat(ids).containsExactlyElementsOf(results.stream().map(SendResult::entryId).toList());
        for (int i : new int[]{0, 1, 7, 1999}) {
            List<String> lines = List.of(server.cli("XRANGE", keys.ops(0), ids.get(i), ids.get(i)).trim().split("\n"));
            List<String> expected = new ArrayList<>(List.of(ids.get(i)));
            WireCodec.encode(ops.get(i)).forEach((field, value) -> expected.addAll(List.of(field, value)));
            assertThat(lines).containsExactlyElementsOf(expected);
        }
        // 2,000 pipelines of one send: through append_runs.lua that would be 2,000 EVALSHA calls; what is
        // left are the producer's backlog samples
        String stats = server.cli("INFO", "commandstats");
        assertThat(calls(stats, "xadd")).isEqualTo(2000);
        assertThat(calls(stats, "evalsha")).isLessThan(200);
    }

    @Test
    void aStreamThatRefusesEveryXaddFailsItsSendsWithRedisError() {
        TallyConfig config = config("refused").build();
        Keys keys = new Keys("refused");
        try (TallyProducer producer = TallyProducer.create(config)) {
            server.cli("SET", keys.ops(0), "not a stream");
            CompletableFuture<SendResult> a = producer.send(CounterOp.incr("x", 1));
            CompletableFuture<SendResult> b = producer.send(CounterOp.incr("x", 2));
            producer.flush();
            for (CompletableFuture<SendResult> f : List.of(a, b)) {
                assertThatThrownBy(f::join).isInstanceOf(CompletionException.class)
                        .hasCauseInstanceOf(SendFailedException.class).hasMessageContaining("WRONGTYPE");
            }
        }
        assertThat(server.cli("GET", keys.ops(0)).trim()).isEqualTo("not a stream");
    }

    @Test
    void repliesKeepEachXaddsOutcomeAndTheReaderInStep() throws Exception {
        RespReader in = reader("$3\r\n1-0\r\n-OOM command not allowed\r\n$3\r\n1-2\r\n+PONG\r\n");
        List<Object> ids = DirectSendPipeline.xaddReplies(3).parse(in);
        assertThat(ids.get(0)).isEqualTo("1-0");
        assertThat(ids.get(1)).isInstanceOf(RedisException.class).extracting(o -> ((Throwable) o).getMessage())
                .asString().startsWith("OOM");
        assertThat(ids.get(2)).isEqualTo("1-2");
        assertThat(in.object()).isEqualTo("PONG"); // the next reply starts where it should

        RespReader allRefused = reader("-OOM a\r\n-OOM b\r\n+PONG\r\n");
        assertThatThrownBy(() -> DirectSendPipeline.xaddReplies(2).parse(allRefused))
                .isInstanceOf(RespErrorReply.class).hasMessage("OOM a");
        assertThat(allRefused.object()).isEqualTo("PONG");
    }

    private TallyConfig.Builder config(String namespace) {
        return TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url()).set(TallyConfig.NAMESPACE, namespace)
                .set(TallyConfig.PARTITIONS, 1);
    }

    private static long calls(String commandstats, String command) {
        Matcher m = Pattern.compile("cmdstat_" + command + ":calls=(\\d+)").matcher(commandstats);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static RespReader reader(String bytes) {
        return new RespReader(new ByteArrayInputStream(bytes.getBytes(StandardCharsets.UTF_8)));
    }

}
